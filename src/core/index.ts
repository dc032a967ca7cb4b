/**
 * The pure core of gxp-ledger: canonical encoding, hashing, Merkle proofs, events, records and proof
 * bundles. Synchronous and browser-safe: no node:*, no Buffer, no fs, no clock, no environment.
 * Shared by the server, the CLI, the browser verifier and the tests.
 */
export * from "./errors";
export * from "./exit-codes";
export * from "./hex";
export * from "./ledger-name";
export * from "./canonical";
export * from "./merkle/hasher";
export * from "./merkle/inclusion";
export * from "./merkle/consistency";
export * from "./merkle/tree";
export * from "./event/types";
export * from "./event/schema";
export { REQUIRED_REF } from "./event/data-schemas";
export * from "./event/validate";
export * from "./record";
export * from "./proof/bundle";
export * from "./proof/bundle-schema";
export * from "./proof/bundle-check";
export * from "./proof/checkpoint";
export * from "./trust/profile";
export * from "./trust/profile-schema";
export * from "./proof/bundle-text";
export * from "./proof/abi";
export * from "./proof/anchor-check";
export * from "./proof/rpc-transport";
export * from "./proof/verify-proof";
export * from "./receipt/base64url";
export * from "./receipt/receipt";
export * from "./batch";

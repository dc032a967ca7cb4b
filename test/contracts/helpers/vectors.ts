import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * Typed loaders for the shared RFC 6962 / RFC 9162 vectors (../shared/vectors, see its README.txt).
 * Field names are the files' own. Hex fields come without a 0x prefix and are returned with one.
 */

/** hasher.json `leaf_hash[]`. */
export interface LeafHashKat {
  dataHex: string;
  leafHashHex: string;
}

/** hasher.json `node_hash[]`; children are not always 32 bytes. */
export interface NodeHashKat {
  leftHex: string;
  rightHex: string;
  nodeHashHex: string;
}

/** hasher.json. */
export interface HasherVectors {
  emptyTreeHashHex: string;
  leafHash: LeafHashKat[];
  nodeHash: NodeHashKat[];
}

/** rfc6962-roots.json: the 8-leaf reference tree. */
export interface ReferenceTree {
  leavesHex: string[];
  leafHashesHex: string[];
  /** rootsBySize[n] = MTH of the first n leaves, n = 0..8. */
  rootsBySize: string[];
}

/** inclusion.json `known_answer[]`. */
export interface InclusionKnownAnswer {
  leafIndex: bigint;
  treeSize: bigint;
  auditPathHex: string[];
  leafDataHex: string;
  leafHashHex: string;
  rootHex: string;
}

/** inclusion.json `probes[]` (transparency-dev/merkle testdata/inclusion). */
export interface InclusionProbe {
  file: string;
  desc: string;
  wantError: boolean;
  leafIndex: bigint;
  treeSize: bigint;
  leafHashHex: string;
  rootHex: string;
  auditPathHex: string[];
}

/** inclusion.json `real_world[]`; `leafHashHex` is absent for some entries. */
export interface InclusionRealWorld {
  name: string;
  leafIndex: bigint;
  treeSize: bigint;
  leafDataHex: string;
  leafHashHex?: string;
  auditPathHex: string[];
  rootHex: string;
}

/** inclusion.json. */
export interface InclusionVectors {
  knownAnswer: InclusionKnownAnswer[];
  probes: InclusionProbe[];
  realWorld: InclusionRealWorld[];
}

/** All the vectors the contract tests use. */
export interface Vectors {
  hasher: HasherVectors;
  tree: ReferenceTree;
  inclusion: InclusionVectors;
}

/** Untyped JSON as parsed; narrowed into the interfaces above by {@link loadVectors}. */
type RawJson = any;

const h = (s: string): string => "0x" + s;
const hs = (a: string[]): string[] => a.map(h);

/**
 * Parses a vector file, keeping `leaf_index` and `tree_size` exact: some probes use 2^64 - 1, which a plain
 * JSON.parse would round to 2^64. Those fields are quoted before parsing and turned into bigints after.
 */
function readJson(dir: string, file: string): RawJson {
  const text = readFileSync(path.join(dir, file), "utf8");
  return JSON.parse(text.replace(/"(leaf_index|tree_size)":\s*(\d+)/g, '"$1":"$2"'));
}

/**
 * Loads hasher.json, rfc6962-roots.json and inclusion.json from `dir`.
 * @throws Error when a file is missing or a tree-size list is not 0..8 in order.
 */
export function loadVectors(dir: string): Vectors {
  const hasher = readJson(dir, "hasher.json");
  const roots = readJson(dir, "rfc6962-roots.json");
  const inclusion = readJson(dir, "inclusion.json");

  const rootsBySize = roots.roots.map((r: RawJson, i: number) => {
    if (BigInt(r.tree_size) !== BigInt(i))
      throw new Error(`rfc6962-roots.json: roots[${i}] has tree_size ${r.tree_size}`);
    return h(r.root_hex);
  });

  return {
    hasher: {
      emptyTreeHashHex: h(hasher.empty_tree_hash_hex),
      leafHash: hasher.leaf_hash.map((k: RawJson) => ({ dataHex: h(k.data_hex), leafHashHex: h(k.leaf_hash_hex) })),
      nodeHash: hasher.node_hash.map((k: RawJson) => ({
        leftHex: h(k.left_hex),
        rightHex: h(k.right_hex),
        nodeHashHex: h(k.node_hash_hex),
      })),
    },
    tree: {
      leavesHex: hs(roots.leaves_hex),
      leafHashesHex: hs(roots.leaf_hashes_hex),
      rootsBySize,
    },
    inclusion: {
      knownAnswer: inclusion.known_answer.map((k: RawJson) => ({
        leafIndex: BigInt(k.leaf_index),
        treeSize: BigInt(k.tree_size),
        auditPathHex: hs(k.audit_path_hex),
        leafDataHex: h(k.leaf_data_hex),
        leafHashHex: h(k.leaf_hash_hex),
        rootHex: h(k.root_hex),
      })),
      probes: inclusion.probes.map((p: RawJson) => ({
        file: p.file,
        desc: p.desc,
        wantError: p.want_error,
        leafIndex: BigInt(p.leaf_index),
        treeSize: BigInt(p.tree_size),
        leafHashHex: h(p.leaf_hash_hex),
        rootHex: h(p.root_hex),
        auditPathHex: hs(p.audit_path_hex),
      })),
      realWorld: inclusion.real_world.map((r: RawJson) => ({
        name: r.name,
        leafIndex: BigInt(r.leaf_index),
        treeSize: BigInt(r.tree_size),
        leafDataHex: h(r.leaf_data_hex),
        leafHashHex: r.leaf_hash_hex === undefined ? undefined : h(r.leaf_hash_hex),
        auditPathHex: hs(r.audit_path_hex),
        rootHex: h(r.root_hex),
      })),
    },
  };
}

/** Byte length of a 0x-prefixed hex string. */
export function byteLength(hex: string): number {
  return (hex.length - 2) / 2;
}

/**
 * When an anchor is final on a chain, for the one check `serve` makes at start on an external chain:
 * are the configured confirmations (LEDGER_CONFIRMATIONS, the anchor's own block counted) at least
 * the chain's finality? Pure: a small table by chain id and the decision, no I/O.
 *
 * The figures are the point where a block cannot be reorganised away without slashing or an L1
 * reorganisation, not a mere probability:
 *  - Ethereum and its public testnets: Casper FFG finalises a checkpoint two epochs back, 2 × 32 slots
 *    = 64 blocks (about 13 minutes) in the normal case;
 *  - Polygon PoS: 128 blocks;
 *  - rollups (OP Mainnet, Base, Arbitrum One): blocks come from a sequencer; its "confirmations" say
 *    nothing about L1, and a block is final only once its batch is posted to Ethereum and that L1
 *    block is final, whatever the L2 block count;
 *  - any other chain: its own finality rule decides, and it must be checked; fewer than 6 is flagged.
 */

/** One chain's finality, as the table knows it. */
export interface ChainFinality {
  chainId: number;
  name: string;
  /** Confirmations that reach finality; undefined for a rollup, where no L2 block count does. */
  blocks?: number;
  /** Why, in one sentence. */
  rule: string;
}

const ETHEREUM_RULE = "finality after two epochs of 32 slots (Casper FFG), about 13 minutes";
const ROLLUP_RULE =
  "a rollup: confirmations count sequencer blocks, and an anchor is final only once its batch is posted to Ethereum and that L1 block is final (about 15-20 minutes)";

/** The chains whose finality the ledger knows, by chain id. */
export const CHAIN_FINALITY: readonly ChainFinality[] = [
  { chainId: 1, name: "Ethereum mainnet", blocks: 64, rule: ETHEREUM_RULE },
  { chainId: 11155111, name: "Sepolia", blocks: 64, rule: ETHEREUM_RULE },
  { chainId: 17000, name: "Holesky", blocks: 64, rule: ETHEREUM_RULE },
  { chainId: 137, name: "Polygon PoS", blocks: 128, rule: "128 blocks" },
  { chainId: 10, name: "OP Mainnet", rule: ROLLUP_RULE },
  { chainId: 8453, name: "Base", rule: ROLLUP_RULE },
  { chainId: 42161, name: "Arbitrum One", rule: ROLLUP_RULE },
];

/** Confirmations below which a chain the table does not know is flagged. */
export const UNKNOWN_CHAIN_MIN_CONFIRMATIONS = 6;

/** The table's entry for `chainId`, or undefined for a chain it does not know. */
export function finalityOf(chainId: bigint | number): ChainFinality | undefined {
  return CHAIN_FINALITY.find((c) => BigInt(c.chainId) === BigInt(chainId));
}

/**
 * The warning to log when `confirmations` on chain `chainId` may count an anchor before it is final,
 * or undefined when they reach the chain's known finality. Rollups always get one (no block count is
 * L1 finality); unknown chains get one below {@link UNKNOWN_CHAIN_MIN_CONFIRMATIONS}.
 */
export function confirmationsWarning(chainId: bigint | number, confirmations: number): string | undefined {
  const c = finalityOf(chainId);
  if (!c) {
    if (confirmations >= UNKNOWN_CHAIN_MIN_CONFIRMATIONS) return undefined;
    return `LEDGER_CONFIRMATIONS=${confirmations} on chain ${chainId}, which this ledger does not know: check the chain's finality and set at least that many confirmations (${confirmations} < ${UNKNOWN_CHAIN_MIN_CONFIRMATIONS})`;
  }
  if (c.blocks === undefined) {
    return `LEDGER_CONFIRMATIONS=${confirmations} on ${c.name} (chain ${c.chainId}), ${c.rule}: proofs may be issued before the anchor is final`;
  }
  if (confirmations >= c.blocks) return undefined;
  return `LEDGER_CONFIRMATIONS=${confirmations} is below the finality of ${c.name} (chain ${c.chainId}): ${c.blocks} blocks, ${c.rule}; proofs may be issued for anchors a reorganisation can still drop`;
}

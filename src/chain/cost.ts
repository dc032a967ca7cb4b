/**
 * What anchoring costs on a chain: the measured gas of one anchor times the chain's current price per
 * gas, per anchor, per day and per year at an epoch age. The arithmetic is pure
 * ({@link anchorCostOf}); {@link currentGasPrice} reads the fees (eth_feeHistory, else eth_gasPrice).
 */
import { Provider } from "ethers";

/**
 * Gas of one anchor in steady state: 78,384 (`npm run bench:gas`, fresh Anvil, median of 5; min
 * 78,372, max 78,384; a ledger's first anchor 78,348). Used when the real call cannot be estimated.
 */
export const ANCHOR_GAS_STEADY_STATE = 78_384n;

/** Seconds in a day and in a (365-day) year. */
const DAY = 86_400;

/** The price per gas an anchor would pay now, and where it came from. */
export interface GasPrice {
  /** Expected price per gas (wei): base fee of the next block plus the median tip, or the legacy gas price. */
  weiPerGas: bigint;
  /** The base fee of the next block (EIP-1559 chains). */
  baseFeePerGas?: bigint;
  /** Median priority fee over the blocks sampled (EIP-1559 chains). */
  priorityFeePerGas?: bigint;
  source: "eth_feeHistory" | "eth_gasPrice";
  /** Blocks sampled by eth_feeHistory. */
  blocks?: number;
}

/** The cost of anchoring at one epoch age. */
export interface AnchorCost {
  gasPerAnchor: bigint;
  weiPerGas: bigint;
  epochAgeSeconds: number;
  /** Anchors per day when events arrive all day (one epoch per epoch age): the upper bound. */
  anchorsPerDay: number;
  weiPerAnchor: bigint;
  weiPerDay: bigint;
  weiPerYear: bigint;
}

/**
 * Cost per anchor, per day and per year (365 days) when one epoch is anchored every `epochAgeSeconds`
 * (the most a ledger with a steady flow of events anchors: it seals when the oldest pending event
 * reaches that age).
 * @throws RangeError when the epoch age is not a positive integer
 */
export function anchorCostOf(gasPerAnchor: bigint, weiPerGas: bigint, epochAgeSeconds: number): AnchorCost {
  if (!Number.isInteger(epochAgeSeconds) || epochAgeSeconds <= 0)
    throw new RangeError(`epoch age ${epochAgeSeconds}: want a positive whole number of seconds`);
  const anchorsPerDay = Math.ceil(DAY / epochAgeSeconds);
  const weiPerAnchor = gasPerAnchor * weiPerGas;
  const weiPerDay = weiPerAnchor * BigInt(anchorsPerDay);
  return {
    gasPerAnchor,
    weiPerGas,
    epochAgeSeconds,
    anchorsPerDay,
    weiPerAnchor,
    weiPerDay,
    weiPerYear: weiPerDay * 365n,
  };
}

/** The median of a non-empty list. */
function median(xs: bigint[]): bigint {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return s[Math.floor(s.length / 2)];
}

/**
 * The price per gas an anchor sent now would pay: on an EIP-1559 chain the next block's base fee
 * plus the median of the blocks' median tips over the last `blocks` blocks (eth_feeHistory), else the
 * node's gas price (eth_gasPrice).
 */
export async function currentGasPrice(
  provider: Provider & { send?(method: string, params: unknown[]): Promise<unknown> },
  blocks = 20,
): Promise<GasPrice> {
  if (provider.send) {
    try {
      const h = (await provider.send("eth_feeHistory", [`0x${blocks.toString(16)}`, "latest", [50]])) as {
        baseFeePerGas?: string[];
        reward?: string[][];
      };
      const base = h.baseFeePerGas?.length ? BigInt(h.baseFeePerGas[h.baseFeePerGas.length - 1]) : undefined;
      if (base !== undefined) {
        const tips = (h.reward ?? []).map((r) => BigInt(r[0] ?? 0));
        const tip = tips.length ? median(tips) : 0n;
        return {
          weiPerGas: base + tip,
          baseFeePerGas: base,
          priorityFeePerGas: tip,
          source: "eth_feeHistory",
          blocks: h.reward?.length ?? blocks,
        };
      }
    } catch {
      /* no eth_feeHistory (a pre-London chain or an old node): fall back to the legacy price */
    }
  }
  const fee = await provider.getFeeData();
  return { weiPerGas: fee.gasPrice ?? 0n, source: "eth_gasPrice" };
}

/** The native coin's symbol of well-known chains, else undefined. */
export function nativeSymbolOf(chainId: bigint): string | undefined {
  const eth = [1n, 10n, 8453n, 42161n, 11155111n, 17000n, 31337n, 1337n];
  if (eth.includes(chainId)) return "ETH";
  if (chainId === 137n) return "POL";
  return undefined;
}

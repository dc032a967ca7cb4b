/** The bytes32 id of a ledger in the anchor contract. */
import { toHex, utf8 } from "../hex";

/** bytes32 id of a ledger name: its UTF-8 bytes right-padded with zeros (Solidity `bytes32("DE01")`). */
export function ledgerIdOfName(name: string): string {
  const bytes = utf8(name);
  if (bytes.length > 31) throw new RangeError(`ledger name ${JSON.stringify(name)} is longer than 31 bytes`);
  const word = new Uint8Array(32);
  word.set(bytes);
  return toHex(word);
}

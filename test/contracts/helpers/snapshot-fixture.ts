import { network } from "hardhat";

/** A deployment routine whose resulting chain state can be restored cheaply between tests. */
export type Fixture<T> = () => Promise<T>;

interface Snapshot<T> {
  fixture: Fixture<T>;
  data: T;
  id: string;
}

const snapshots: Snapshot<unknown>[] = [];

/**
 * Runs `fixture` once, snapshots the chain (`evm_snapshot`), and on later calls reverts to that snapshot
 * (`evm_revert`) instead of re-running it; the same contract as `loadFixture` of
 * `@nomicfoundation/hardhat-network-helpers`, which this project does not install.
 *
 * Pass a named function, not an inline closure: fixtures are recognised by identity.
 *
 * @throws Error when the chain refuses to revert to a recorded snapshot.
 */
export async function loadFixture<T>(fixture: Fixture<T>): Promise<T> {
  const index = snapshots.findIndex((s) => s.fixture === fixture);
  if (index >= 0) {
    const snapshot = snapshots[index] as Snapshot<T>;
    const reverted = (await network.provider.send("evm_revert", [snapshot.id])) as boolean;
    if (!reverted) throw new Error(`loadFixture: evm_revert to snapshot ${snapshot.id} failed`);
    // evm_revert consumes the snapshot and every later one: re-take ours, forget the later ones.
    snapshots.splice(index + 1);
    snapshot.id = (await network.provider.send("evm_snapshot", [])) as string;
    return snapshot.data;
  }
  const data = await fixture();
  const id = (await network.provider.send("evm_snapshot", [])) as string;
  snapshots.push({ fixture, data, id } as Snapshot<unknown>);
  return data;
}

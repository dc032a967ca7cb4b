/**
 * Pinning a test ledger the way the service's first start does (src/service/security/ledger-pin.ts), for
 * tests that anchor through the local chain helper without running `serve`.
 */
import { JsonRpcProvider } from "ethers";
import { Ledger } from "../../src/service/app/ledger";
import { ensureLedgerPin, PinOutcome } from "../../src/service/security/ledger-pin";
import { createSecurityRecorder } from "../../src/service/security/security";
import { ledgerNameOf } from "../../src/chain/contract";

/**
 * Pins `ledger` to `contract`/`ledgerId` on the chain behind `provider`. The `ledger.pinned` security
 * event is recorded only with `withEvent` (it is one more event in the ledger, which tests that count
 * events do not expect).
 */
export async function pinTo(
  ledger: Ledger,
  provider: JsonRpcProvider,
  d: { contract: string; ledgerId: string },
  withEvent = false,
  development = true,
): Promise<PinOutcome> {
  const { chainId } = await provider.getNetwork();
  const ledgerName = ledgerNameOf(d.ledgerId) ?? d.ledgerId;
  return ensureLedgerPin(
    ledger,
    {
      provider,
      chainId,
      ledgerId: d.ledgerId,
      deployment: {
        chainId: chainId.toString(),
        contract: d.contract,
        ledgerName,
        ledgerId: d.ledgerId,
        rpcUrl: "",
        deployTx: "",
        deployBlock: 0,
        admin: "",
        anchorer: "",
        development,
      },
    },
    withEvent ? createSecurityRecorder(ledger, ledger.name) : { record: () => "" },
  );
}

/**
 * `npm run fixture:batch -- --batch <id> [--variant …] (-o <file> | --post <url> --token <t>)`: realistic batch
 * records for a ledger. The generator and its command line live in test/helpers/batch-fixture.ts.
 */
import { main } from "../test/helpers/batch-fixture";

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(`batch-fixture: ${(e as Error).stack ?? e}`);
      process.exitCode = 1;
    },
  );
}

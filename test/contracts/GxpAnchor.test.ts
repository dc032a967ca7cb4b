import path from "node:path";
import { expect } from "chai";
import { artifacts, ethers, network } from "hardhat";
import type { Contract, ContractTransactionResponse, Signer } from "ethers";
import { PANIC_CODES } from "@nomicfoundation/hardhat-chai-matchers/panic";
import { loadFixture } from "./helpers/snapshot-fixture";
import { byteLength, loadVectors } from "./helpers/vectors";
import { refInclusionProof, refInclusionProofLength, refLeafHash, refRoot } from "./helpers/rfc9162-reference";

// CI lays shared/ beside the repository clone (../shared from the repo root).
const VECTORS_DIR = path.join(__dirname, "../../../shared/vectors");
const vectors = loadVectors(VECTORS_DIR);

const ZERO = ethers.ZeroHash;
const DEFAULT_ADMIN_ROLE = ZERO;
const MAX_UINT64 = 2n ** 64n - 1n;
const ALL_ONES = ethers.toBeHex(ethers.MaxUint256, 32);
/** Issue 11: steady-state anchor gas stays at most 80,000 with the anchoring account in the event. */
const STEADY_STATE_GAS_LIMIT = 80_000n;
/** ERC-165 id of IGxpAnchor (XOR of its function selectors), registerLedgerKey included. */
const IGXP_ANCHOR_INTERFACE_ID = "0xe939bf46";

const SITE_A = ethers.id("gxp-ledger/site/basel");
const SITE_B = ethers.id("gxp-ledger/site/singapore");
const SITE_UNKNOWN = ethers.id("gxp-ledger/site/never-created");

const ROOT_1 = ethers.id("epoch root 1");
const ROOT_2 = ethers.id("epoch root 2");
const ROOT_3 = ethers.id("epoch root 3");

const KEY_1 = ethers.id("ledger key 1 (SHA-256 of its SPKI DER)");
const KEY_2 = ethers.id("ledger key 2 (SHA-256 of its SPKI DER)");

const abi = ethers.AbiCoder.defaultAbiCoder();
const roleId = (name: string, ledgerId: string): string =>
  ethers.keccak256(abi.encode(["string", "bytes32"], [name, ledgerId]));

/** `contract` with `signer` as the sender (ethers' connect() loses the method typing). */
const as = (contract: Contract, signer: Signer): Contract => contract.connect(signer) as Contract;

/** Sends `tx` and returns its mined receipt. */
async function mined(tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was not mined");
  return receipt;
}

async function deployFixture() {
  const [admin, siteAdminA, siteAdminB, anchorerA, anchorerB, outsider] = await ethers.getSigners();
  const registry = await ethers.deployContract("GxpAnchor", [admin.address]);
  await registry.waitForDeployment();
  return { registry, admin, siteAdminA, siteAdminB, anchorerA, anchorerB, outsider };
}

/** Two ledgers, each with its own admin and anchorer, nothing anchored. */
async function twoLedgersFixture() {
  const f = await deployFixture();
  const { registry, siteAdminA, siteAdminB, anchorerA, anchorerB } = f;
  const createA = await mined(registry.createLedger(SITE_A, siteAdminA.address));
  await mined(registry.createLedger(SITE_B, siteAdminB.address));
  await mined(as(registry, siteAdminA).grantRole(roleId("GXP_ANCHORER_ROLE", SITE_A), anchorerA.address));
  await mined(as(registry, siteAdminB).grantRole(roleId("GXP_ANCHORER_ROLE", SITE_B), anchorerB.address));
  return { ...f, createLedgerGas: createA.gasUsed };
}

/** Ledger A with epoch 0 (8 leaves, seq 0..7) anchored. */
async function oneEpochFixture() {
  const f = await twoLedgersFixture();
  const receipt = await mined(as(f.registry, f.anchorerA).anchor(SITE_A, 0, ROOT_1, 8, 0));
  return { ...f, firstAnchorGas: receipt.gasUsed };
}

/**
 * Ledger A: epoch 0 = the 8-leaf reference tree. Ledgers "ref/1".."ref/8": epoch 0 = the first n leaves.
 * Ledger "ref/split": epoch 0 = leaves 0..2, epoch 1 = leaves 3..7 (seq 3..7).
 */
async function referenceTreeFixture() {
  const f = await twoLedgersFixture();
  const { registry, admin, anchorerA } = f;
  const { leafHashesHex, rootsBySize } = vectors.tree;
  await mined(as(registry, anchorerA).anchor(SITE_A, 0, rootsBySize[8], 8, 0));
  for (let n = 1; n <= 8; n++) {
    const id = ethers.id(`ref/${n}`);
    await mined(registry.createLedger(id, admin.address));
    await mined(registry.grantRole(roleId("GXP_ANCHORER_ROLE", id), admin.address));
    await mined(registry.anchor(id, 0, rootsBySize[n], n, 0));
  }
  const split = ethers.id("ref/split");
  await mined(registry.createLedger(split, admin.address));
  await mined(registry.grantRole(roleId("GXP_ANCHORER_ROLE", split), admin.address));
  await mined(registry.anchor(split, 0, refRoot(leafHashesHex.slice(0, 3)), 3, 0));
  await mined(registry.anchor(split, 1, refRoot(leafHashesHex.slice(3)), 5, 3));
  return { ...f, split };
}

describe("GxpAnchor", function () {
  describe("constructor", function () {
    it("grants DEFAULT_ADMIN_ROLE to the admin only", async function () {
      const { registry, admin, outsider } = await loadFixture(deployFixture);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, outsider.address)).to.equal(false);
    });

    it("reports IGxpAnchor, IAccessControl and IERC165 through ERC-165", async function () {
      const { registry } = await loadFixture(deployFixture);
      const iface = new ethers.Interface((await artifacts.readArtifact("IGxpAnchor")).abi);
      let id = 0;
      iface.forEachFunction((fn) => (id ^= Number.parseInt(fn.selector.slice(2), 16)));
      const iGxpAnchorId = ethers.toBeHex(id >>> 0, 4);
      // Pinned: a change to IGxpAnchor's functions changes its id, and clients that probe it must hear of it.
      expect(iGxpAnchorId).to.equal(IGXP_ANCHOR_INTERFACE_ID);
      expect(await registry.supportsInterface(iGxpAnchorId)).to.equal(true);
      // The interface before registerLedgerKey (issue 11) is not the one this contract reports.
      const registerKey = iface.getFunction("registerLedgerKey");
      if (registerKey === null) throw new Error("IGxpAnchor has no registerLedgerKey");
      const withoutRegisterKey = ethers.toBeHex((id ^ Number.parseInt(registerKey.selector.slice(2), 16)) >>> 0, 4);
      expect(await registry.supportsInterface(withoutRegisterKey)).to.equal(false);
      expect(await registry.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await registry.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await registry.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("anchorerRole / ledgerAdminRole", function () {
    it("are keccak256(abi.encode(name, ledgerId))", async function () {
      const { registry } = await loadFixture(deployFixture);
      expect(await registry.anchorerRole(SITE_A)).to.equal(roleId("GXP_ANCHORER_ROLE", SITE_A));
      expect(await registry.ledgerAdminRole(SITE_A)).to.equal(roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A));
    });

    it("differ between ledgers and between each other", async function () {
      const { registry } = await loadFixture(deployFixture);
      const roles = [
        await registry.anchorerRole(SITE_A),
        await registry.anchorerRole(SITE_B),
        await registry.ledgerAdminRole(SITE_A),
        await registry.ledgerAdminRole(SITE_B),
      ];
      expect(new Set(roles).size).to.equal(4);
    });
  });

  describe("createLedger", function () {
    describe("when the caller lacks DEFAULT_ADMIN_ROLE", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { registry, outsider } = await loadFixture(deployFixture);
        await expect(as(registry, outsider).createLedger(SITE_A, outsider.address))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
      });

      it("reverts for a ledger admin too", async function () {
        const { registry, siteAdminA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, siteAdminA).createLedger(SITE_UNKNOWN, siteAdminA.address))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(siteAdminA.address, DEFAULT_ADMIN_ROLE);
      });
    });

    describe("when the ledger id is zero", function () {
      it("reverts with GxpAnchorZeroLedgerId", async function () {
        const { registry, siteAdminA } = await loadFixture(deployFixture);
        await expect(registry.createLedger(ZERO, siteAdminA.address)).to.be.revertedWithCustomError(
          registry,
          "GxpAnchorZeroLedgerId",
        );
      });
    });

    describe("when the ledger exists", function () {
      it("reverts with GxpAnchorLedgerExists", async function () {
        const { registry, outsider } = await loadFixture(twoLedgersFixture);
        await expect(registry.createLedger(SITE_A, outsider.address))
          .to.be.revertedWithCustomError(registry, "GxpAnchorLedgerExists")
          .withArgs(SITE_A);
      });
    });

    describe("when the ledger is new", function () {
      it("emits LedgerCreated, RoleGranted and RoleAdminChanged", async function () {
        const { registry, admin, siteAdminA } = await loadFixture(deployFixture);
        const tx = registry.createLedger(SITE_A, siteAdminA.address);
        await expect(tx).to.emit(registry, "LedgerCreated").withArgs(SITE_A, siteAdminA.address);
        await expect(tx)
          .to.emit(registry, "RoleGranted")
          .withArgs(roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A), siteAdminA.address, admin.address);
        await expect(tx)
          .to.emit(registry, "RoleAdminChanged")
          .withArgs(roleId("GXP_ANCHORER_ROLE", SITE_A), DEFAULT_ADMIN_ROLE, roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A));
      });

      it("sets up the per-ledger roles", async function () {
        const { registry, siteAdminA } = await loadFixture(twoLedgersFixture);
        expect(await registry.hasRole(roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A), siteAdminA.address)).to.equal(true);
        expect(await registry.getRoleAdmin(roleId("GXP_ANCHORER_ROLE", SITE_A))).to.equal(
          roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A),
        );
        // The global admin keeps administering the ledger admin role, so it can replace a site admin.
        expect(await registry.getRoleAdmin(roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A))).to.equal(DEFAULT_ADMIN_ROLE);
      });

      it("starts the ledger at epoch 0, sequence 0", async function () {
        const { registry } = await loadFixture(twoLedgersFixture);
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 0n, 0n]);
        expect(await registry.ledgerState(SITE_UNKNOWN)).to.deep.equal([false, 0n, 0n]);
      });

      it("costs a reported amount of gas", async function () {
        const { createLedgerGas } = await loadFixture(twoLedgersFixture);
        console.log(`      createLedger gasUsed: ${createLedgerGas}`);
        expect(createLedgerGas > 0n).to.equal(true);
      });
    });
  });

  describe("per-ledger role administration", function () {
    it("lets a ledger admin grant its own anchorer role", async function () {
      const { registry, siteAdminA, outsider } = await loadFixture(twoLedgersFixture);
      const role = roleId("GXP_ANCHORER_ROLE", SITE_A);
      await expect(as(registry, siteAdminA).grantRole(role, outsider.address))
        .to.emit(registry, "RoleGranted")
        .withArgs(role, outsider.address, siteAdminA.address);
      await expect(as(registry, outsider).anchor(SITE_A, 0, ROOT_1, 1, 0)).to.emit(registry, "EpochAnchored");
    });

    it("lets a ledger admin revoke its own anchorer role, which then cannot anchor", async function () {
      const { registry, siteAdminA, anchorerA } = await loadFixture(twoLedgersFixture);
      const role = roleId("GXP_ANCHORER_ROLE", SITE_A);
      await expect(as(registry, siteAdminA).revokeRole(role, anchorerA.address))
        .to.emit(registry, "RoleRevoked")
        .withArgs(role, anchorerA.address, siteAdminA.address);
      await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 1, 0))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(anchorerA.address, role);
    });

    it("does not let a ledger admin grant or revoke another ledger's anchorer role", async function () {
      const { registry, siteAdminA, anchorerB, outsider } = await loadFixture(twoLedgersFixture);
      const roleB = roleId("GXP_ANCHORER_ROLE", SITE_B);
      await expect(as(registry, siteAdminA).grantRole(roleB, outsider.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(siteAdminA.address, roleId("GXP_LEDGER_ADMIN_ROLE", SITE_B));
      await expect(as(registry, siteAdminA).revokeRole(roleB, anchorerB.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(siteAdminA.address, roleId("GXP_LEDGER_ADMIN_ROLE", SITE_B));
    });

    it("does not let a ledger admin grant ledger admin roles", async function () {
      const { registry, siteAdminA, outsider } = await loadFixture(twoLedgersFixture);
      await expect(as(registry, siteAdminA).grantRole(roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A), outsider.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(siteAdminA.address, DEFAULT_ADMIN_ROLE);
    });

    it("does not let the global admin grant a created ledger's anchorer role directly", async function () {
      const { registry, admin, outsider } = await loadFixture(twoLedgersFixture);
      await expect(registry.grantRole(roleId("GXP_ANCHORER_ROLE", SITE_A), outsider.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A));
    });

    it("lets the global admin replace a ledger admin", async function () {
      const { registry, siteAdminA, outsider } = await loadFixture(twoLedgersFixture);
      const adminRole = roleId("GXP_LEDGER_ADMIN_ROLE", SITE_A);
      await mined(registry.grantRole(adminRole, outsider.address));
      await mined(registry.revokeRole(adminRole, siteAdminA.address));
      await expect(as(registry, siteAdminA).grantRole(roleId("GXP_ANCHORER_ROLE", SITE_A), siteAdminA.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(siteAdminA.address, adminRole);
      await expect(as(registry, outsider).grantRole(roleId("GXP_ANCHORER_ROLE", SITE_A), outsider.address)).to.emit(
        registry,
        "RoleGranted",
      );
    });
  });

  describe("anchor", function () {
    describe("when the caller is not an anchorer of the ledger", function () {
      it("reverts with AccessControlUnauthorizedAccount for an account without roles", async function () {
        const { registry, outsider } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, outsider).anchor(SITE_A, 0, ROOT_1, 8, 0))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(outsider.address, roleId("GXP_ANCHORER_ROLE", SITE_A));
      });

      it("reverts with AccessControlUnauthorizedAccount for an anchorer of another ledger", async function () {
        const { registry, anchorerB } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerB).anchor(SITE_A, 0, ROOT_1, 8, 0))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(anchorerB.address, roleId("GXP_ANCHORER_ROLE", SITE_A));
      });

      it("reverts with AccessControlUnauthorizedAccount for the ledger admin and the global admin", async function () {
        const { registry, admin, siteAdminA } = await loadFixture(twoLedgersFixture);
        for (const signer of [siteAdminA, admin]) {
          await expect(as(registry, signer).anchor(SITE_A, 0, ROOT_1, 8, 0))
            .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
            .withArgs(signer.address, roleId("GXP_ANCHORER_ROLE", SITE_A));
        }
      });

      it("checks the role before any argument", async function () {
        const { registry, outsider } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, outsider).anchor(SITE_UNKNOWN, 5, ZERO, 0, 9))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(outsider.address, roleId("GXP_ANCHORER_ROLE", SITE_UNKNOWN));
      });
    });

    describe("when the ledger does not exist", function () {
      it("reverts with GxpAnchorUnknownLedger", async function () {
        // Before createLedger the anchorer role's admin is still DEFAULT_ADMIN_ROLE, so it can be granted.
        const { registry, outsider } = await loadFixture(twoLedgersFixture);
        await mined(registry.grantRole(roleId("GXP_ANCHORER_ROLE", SITE_UNKNOWN), outsider.address));
        await expect(as(registry, outsider).anchor(SITE_UNKNOWN, 0, ROOT_1, 8, 0))
          .to.be.revertedWithCustomError(registry, "GxpAnchorUnknownLedger")
          .withArgs(SITE_UNKNOWN);
      });
    });

    describe("when the root is zero", function () {
      it("reverts with GxpAnchorZeroRoot (before the size check)", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ZERO, 8, 0)).to.be.revertedWithCustomError(
          registry,
          "GxpAnchorZeroRoot",
        );
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ZERO, 0, 0)).to.be.revertedWithCustomError(
          registry,
          "GxpAnchorZeroRoot",
        );
      });
    });

    describe("when the tree size is zero", function () {
      it("reverts with GxpAnchorZeroSize", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 0, 0)).to.be.revertedWithCustomError(
          registry,
          "GxpAnchorZeroSize",
        );
      });
    });

    describe("when the epoch skips ahead", function () {
      it("reverts with GxpAnchorEpochNotNext on a fresh ledger", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_1, 8, 0))
          .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotNext")
          .withArgs(SITE_A, 1, 0);
      });

      it("reverts with GxpAnchorEpochNotNext after an epoch", async function () {
        const { registry, anchorerA } = await loadFixture(oneEpochFixture);
        await expect(as(registry, anchorerA).anchor(SITE_A, 2, ROOT_2, 4, 8))
          .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotNext")
          .withArgs(SITE_A, 2, 1);
      });
    });

    describe("when the epoch is already anchored", function () {
      it("reverts with GxpAnchorEpochAlreadyAnchored and keeps the stored anchor", async function () {
        const { registry, anchorerA } = await loadFixture(oneEpochFixture);
        const before = await registry.getAnchor(SITE_A, 0);
        // Same arguments, and an attempt to overwrite with another root and a contiguous-looking range.
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 8, 0))
          .to.be.revertedWithCustomError(registry, "GxpAnchorEpochAlreadyAnchored")
          .withArgs(SITE_A, 0);
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_2, 4, 8))
          .to.be.revertedWithCustomError(registry, "GxpAnchorEpochAlreadyAnchored")
          .withArgs(SITE_A, 0);
        expect(await registry.getAnchor(SITE_A, 0)).to.deep.equal(before);
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 1n, 8n]);
      });
    });

    describe("when the sequence range is not contiguous", function () {
      it("reverts with GxpAnchorSeqNotContiguous when epoch 0 does not start at 0", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 8, 1))
          .to.be.revertedWithCustomError(registry, "GxpAnchorSeqNotContiguous")
          .withArgs(SITE_A, 1, 0);
      });

      it("reverts with GxpAnchorSeqNotContiguous on a gap or an overlap", async function () {
        const { registry, anchorerA } = await loadFixture(oneEpochFixture);
        for (const firstSeq of [9, 7, 0]) {
          await expect(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_2, 4, firstSeq))
            .to.be.revertedWithCustomError(registry, "GxpAnchorSeqNotContiguous")
            .withArgs(SITE_A, firstSeq, 8);
        }
      });

      it("panics on a sequence number overflow", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await mined(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, MAX_UINT64, 0));
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 1n, MAX_UINT64]);
        await expect(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_2, 1, MAX_UINT64)).to.be.revertedWithPanic(
          PANIC_CODES.ARITHMETIC_OVERFLOW,
        );
      });
    });

    describe("when the epoch is the next one", function () {
      it("emits EpochAnchored naming the calling anchorer", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 8, 0))
          .to.emit(registry, "EpochAnchored")
          .withArgs(SITE_A, 0, anchorerA.address, ROOT_1, 8, 0);
        await expect(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_2, 3, 8))
          .to.emit(registry, "EpochAnchored")
          .withArgs(SITE_A, 1, anchorerA.address, ROOT_2, 3, 8);
      });

      it("names whichever anchorer of the ledger called, as the log's third indexed topic", async function () {
        const { registry, siteAdminA, anchorerA, outsider } = await loadFixture(twoLedgersFixture);
        await mined(as(registry, siteAdminA).grantRole(roleId("GXP_ANCHORER_ROLE", SITE_A), outsider.address));
        await expect(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 8, 0))
          .to.emit(registry, "EpochAnchored")
          .withArgs(SITE_A, 0, anchorerA.address, ROOT_1, 8, 0);
        const receipt = await mined(as(registry, outsider).anchor(SITE_A, 1, ROOT_2, 3, 8));
        await expect(receipt.hash)
          .to.emit(registry, "EpochAnchored")
          .withArgs(SITE_A, 1, outsider.address, ROOT_2, 3, 8);
        // A verifier filters and compares on the topics alone: ledger id, epoch, anchoring account.
        const log = receipt.logs.find((l) => l.address === (registry.target as string));
        if (log === undefined) throw new Error("no log from the registry");
        expect(log.topics).to.deep.equal([
          registry.interface.getEvent("EpochAnchored")!.topicHash,
          SITE_A,
          ethers.toBeHex(1, 32),
          ethers.zeroPadValue(outsider.address.toLowerCase(), 32),
        ]);
      });

      it("stores the anchor with the block timestamp and number", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        const receipts = [
          await mined(as(registry, anchorerA).anchor(SITE_A, 0, ROOT_1, 8, 0)),
          await mined(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_2, 3, 8)),
        ];
        const expected = [
          [ROOT_1, 8n, 0n],
          [ROOT_2, 3n, 8n],
        ];
        for (let epoch = 0; epoch < 2; epoch++) {
          const block = await ethers.provider.getBlock(receipts[epoch].blockNumber);
          if (block === null) throw new Error("block not found");
          const a = await registry.getAnchor(SITE_A, epoch);
          expect([a.root, a.treeSize, a.firstSeq]).to.deep.equal(expected[epoch]);
          expect(a.timestamp).to.equal(BigInt(block.timestamp));
          expect(a.blockNumber).to.equal(BigInt(receipts[epoch].blockNumber));
        }
        expect(receipts[1].blockNumber).to.be.greaterThan(receipts[0].blockNumber);
      });

      it("packs full-width uint64 fields without them bleeding into each other", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        const timestamp = 2n ** 40n + 12345n;
        await network.provider.send("evm_setNextBlockTimestamp", [ethers.toQuantity(timestamp)]);
        const receipt = await mined(as(registry, anchorerA).anchor(SITE_A, 0, ALL_ONES, MAX_UINT64 - 1n, 0));
        const a = await registry.getAnchor(SITE_A, 0);
        expect([a.root, a.treeSize, a.firstSeq, a.timestamp, a.blockNumber]).to.deep.equal([
          ALL_ONES,
          MAX_UINT64 - 1n,
          0n,
          timestamp,
          BigInt(receipt.blockNumber),
        ]);
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 1n, MAX_UINT64 - 1n]);
        await mined(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_2, 1, MAX_UINT64 - 1n));
        const b = await registry.getAnchor(SITE_A, 1);
        expect([b.root, b.treeSize, b.firstSeq]).to.deep.equal([ROOT_2, 1n, MAX_UINT64 - 1n]);
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 2n, MAX_UINT64]);
      });

      it("advances ledgerState by one epoch and treeSize sequence numbers", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        const epochs: [string, number][] = [
          [ROOT_1, 8],
          [ROOT_2, 1],
          [ROOT_3, 1000],
        ];
        let seq = 0n;
        for (const [epoch, [root, size]] of epochs.entries()) {
          expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, BigInt(epoch), seq]);
          await mined(as(registry, anchorerA).anchor(SITE_A, epoch, root, size, seq));
          seq += BigInt(size);
        }
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 3n, 1009n]);
      });

      it("keeps two ledgers independent", async function () {
        const { registry, anchorerA, anchorerB } = await loadFixture(oneEpochFixture);
        expect(await registry.ledgerState(SITE_B)).to.deep.equal([true, 0n, 0n]);
        await expect(registry.getAnchor(SITE_B, 0))
          .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotAnchored")
          .withArgs(SITE_B, 0);
        // Ledger B starts at epoch 0, sequence 0, although ledger A has moved on.
        await mined(as(registry, anchorerB).anchor(SITE_B, 0, ROOT_2, 5, 0));
        await mined(as(registry, anchorerB).anchor(SITE_B, 1, ROOT_3, 2, 5));
        await mined(as(registry, anchorerA).anchor(SITE_A, 1, ROOT_3, 4, 8));
        expect(await registry.ledgerState(SITE_A)).to.deep.equal([true, 2n, 12n]);
        expect(await registry.ledgerState(SITE_B)).to.deep.equal([true, 2n, 7n]);
        expect((await registry.getAnchor(SITE_A, 0)).root).to.equal(ROOT_1);
        expect((await registry.getAnchor(SITE_B, 0)).root).to.equal(ROOT_2);
        expect((await registry.getAnchor(SITE_A, 1)).treeSize).to.equal(4n);
        expect((await registry.getAnchor(SITE_B, 1)).treeSize).to.equal(2n);
      });
    });

    describe("gas", function () {
      it("costs at most 80,000 gas per steady-state anchor", async function () {
        const { registry, anchorerA, firstAnchorGas } = await loadFixture(oneEpochFixture);
        const steady = [];
        let seq = 8n;
        for (let epoch = 1; epoch <= 3; epoch++) {
          const root = ethers.id(`steady-state root ${epoch}`);
          const size = 1000n + BigInt(epoch);
          steady.push((await mined(as(registry, anchorerA).anchor(SITE_A, epoch, root, size, seq))).gasUsed);
          seq += size;
        }
        console.log(`      anchor gasUsed: first ${firstAnchorGas}, steady state ${steady.join(", ")}`);
        for (const gas of steady) expect(gas).to.be.at.most(STEADY_STATE_GAS_LIMIT);
        expect(firstAnchorGas).to.be.at.most(STEADY_STATE_GAS_LIMIT);
      });

      it("stays within 80,000 gas with the costliest calldata (no zero bytes in any field's value)", async function () {
        // Calldata costs 16 gas per non-zero byte and 4 per zero byte: fill every value with non-zero bytes.
        const { registry, admin } = await loadFixture(deployFixture);
        const id = "0x" + "11".repeat(32);
        const size = BigInt("0x" + "01".repeat(8));
        await mined(registry.createLedger(id, admin.address));
        await mined(registry.grantRole(roleId("GXP_ANCHORER_ROLE", id), admin.address));
        await mined(registry.anchor(id, 0, "0x" + "22".repeat(32), size, 0));
        const gas = (await mined(registry.anchor(id, 1, "0x" + "33".repeat(32), size, size))).gasUsed;
        console.log(`      anchor gasUsed with the costliest calldata: steady state ${gas}`);
        expect(gas).to.be.at.most(STEADY_STATE_GAS_LIMIT);
      });
    });
  });

  describe("registerLedgerKey", function () {
    describe("when the caller is neither an anchorer nor the ledger admin of the ledger", function () {
      it("reverts with AccessControlUnauthorizedAccount naming the anchorer role, for an outsider, another ledger's anchorer or admin, and the global admin", async function () {
        const { registry, admin, siteAdminB, anchorerB, outsider } = await loadFixture(twoLedgersFixture);
        for (const signer of [outsider, anchorerB, siteAdminB, admin]) {
          await expect(as(registry, signer).registerLedgerKey(SITE_A, KEY_1))
            .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
            .withArgs(signer.address, roleId("GXP_ANCHORER_ROLE", SITE_A));
        }
      });

      it("checks the role before the ledger and the key id", async function () {
        const { registry, outsider } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, outsider).registerLedgerKey(SITE_UNKNOWN, ZERO))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(outsider.address, roleId("GXP_ANCHORER_ROLE", SITE_UNKNOWN));
      });

      it("refuses an anchorer whose role was revoked", async function () {
        const { registry, siteAdminA, anchorerA } = await loadFixture(twoLedgersFixture);
        await mined(as(registry, siteAdminA).revokeRole(roleId("GXP_ANCHORER_ROLE", SITE_A), anchorerA.address));
        await expect(as(registry, anchorerA).registerLedgerKey(SITE_A, KEY_1))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(anchorerA.address, roleId("GXP_ANCHORER_ROLE", SITE_A));
      });
    });

    describe("when the ledger does not exist", function () {
      it("reverts with GxpAnchorUnknownLedger", async function () {
        // Before createLedger the anchorer role's admin is still DEFAULT_ADMIN_ROLE, so it can be granted.
        const { registry, outsider } = await loadFixture(twoLedgersFixture);
        await mined(registry.grantRole(roleId("GXP_ANCHORER_ROLE", SITE_UNKNOWN), outsider.address));
        await expect(as(registry, outsider).registerLedgerKey(SITE_UNKNOWN, KEY_1))
          .to.be.revertedWithCustomError(registry, "GxpAnchorUnknownLedger")
          .withArgs(SITE_UNKNOWN);
      });
    });

    describe("when the key id is zero", function () {
      it("reverts with GxpAnchorZeroKeyId", async function () {
        const { registry, anchorerA, siteAdminA } = await loadFixture(twoLedgersFixture);
        for (const signer of [anchorerA, siteAdminA]) {
          await expect(as(registry, signer).registerLedgerKey(SITE_A, ZERO)).to.be.revertedWithCustomError(
            registry,
            "GxpAnchorZeroKeyId",
          );
        }
      });
    });

    describe("when the caller may register", function () {
      it("emits LedgerKeyRegistered naming an anchorer of the ledger as registeredBy", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, anchorerA).registerLedgerKey(SITE_A, KEY_1))
          .to.emit(registry, "LedgerKeyRegistered")
          .withArgs(SITE_A, KEY_1, anchorerA.address);
      });

      it("emits LedgerKeyRegistered naming the ledger admin as registeredBy", async function () {
        const { registry, siteAdminA } = await loadFixture(twoLedgersFixture);
        await expect(as(registry, siteAdminA).registerLedgerKey(SITE_A, KEY_1))
          .to.emit(registry, "LedgerKeyRegistered")
          .withArgs(SITE_A, KEY_1, siteAdminA.address);
      });

      it("logs every rotation (a later key, and the same key again) and changes no ledger or anchor state", async function () {
        const { registry, anchorerA, siteAdminA } = await loadFixture(oneEpochFixture);
        const before = await registry.ledgerState(SITE_A);
        await expect(as(registry, anchorerA).registerLedgerKey(SITE_A, KEY_1))
          .to.emit(registry, "LedgerKeyRegistered")
          .withArgs(SITE_A, KEY_1, anchorerA.address);
        await expect(as(registry, siteAdminA).registerLedgerKey(SITE_A, KEY_2))
          .to.emit(registry, "LedgerKeyRegistered")
          .withArgs(SITE_A, KEY_2, siteAdminA.address);
        await expect(as(registry, anchorerA).registerLedgerKey(SITE_A, KEY_1))
          .to.emit(registry, "LedgerKeyRegistered")
          .withArgs(SITE_A, KEY_1, anchorerA.address);
        expect(await registry.ledgerState(SITE_A)).to.deep.equal(before);
        expect((await registry.getAnchor(SITE_A, 0)).root).to.equal(ROOT_1);
        await expect(registry.getAnchor(SITE_A, 1)).to.be.revertedWithCustomError(
          registry,
          "GxpAnchorEpochNotAnchored",
        );
      });

      it("registers for its own ledger only: the other ledger's log stays empty", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        const receipt = await mined(as(registry, anchorerA).registerLedgerKey(SITE_A, KEY_1));
        const logs = await registry.queryFilter(
          registry.filters.LedgerKeyRegistered(SITE_B),
          receipt.blockNumber,
          receipt.blockNumber,
        );
        expect(logs).to.have.length(0);
        const ours = await registry.queryFilter(
          registry.filters.LedgerKeyRegistered(SITE_A, KEY_1, anchorerA.address),
          receipt.blockNumber,
          receipt.blockNumber,
        );
        expect(ours).to.have.length(1);
      });

      it("costs a reported amount of gas", async function () {
        const { registry, anchorerA } = await loadFixture(twoLedgersFixture);
        const gas = (await mined(as(registry, anchorerA).registerLedgerKey(SITE_A, KEY_1))).gasUsed;
        console.log(`      registerLedgerKey gasUsed: ${gas}`);
        expect(gas > 21_000n).to.equal(true);
      });
    });
  });

  describe("getAnchor", function () {
    it("reverts with GxpAnchorEpochNotAnchored for the next epoch and an unknown ledger", async function () {
      const { registry } = await loadFixture(oneEpochFixture);
      await expect(registry.getAnchor(SITE_A, 1))
        .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotAnchored")
        .withArgs(SITE_A, 1);
      await expect(registry.getAnchor(SITE_UNKNOWN, 0))
        .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotAnchored")
        .withArgs(SITE_UNKNOWN, 0);
    });
  });

  describe("leafHash", function () {
    it("matches the hasher.json leaf known answers", async function () {
      const { registry } = await loadFixture(deployFixture);
      expect(vectors.hasher.leafHash.length).to.equal(4);
      for (const kat of vectors.hasher.leafHash) {
        expect(await registry.leafHash(kat.dataHex)).to.equal(kat.leafHashHex, kat.dataHex);
      }
    });

    it("matches the rfc6962-roots.json leaf hashes of the reference tree", async function () {
      const { registry } = await loadFixture(deployFixture);
      const { leavesHex, leafHashesHex } = vectors.tree;
      expect(leavesHex.length).to.equal(8);
      for (const [i, leaf] of leavesHex.entries()) {
        expect(await registry.leafHash(leaf)).to.equal(leafHashesHex[i], `leaf ${i}`);
      }
    });

    it("never equals the node hash of the same bytes (domain separation)", async function () {
      const { registry } = await loadFixture(deployFixture);
      const kat = vectors.hasher.nodeHash.find((k) => byteLength(k.leftHex) === 32 && byteLength(k.rightHex) === 32);
      if (kat === undefined) throw new Error("hasher.json has no 32-byte node known answer");
      expect(await registry.leafHash(ethers.concat([kat.leftHex, kat.rightHex]))).to.not.equal(kat.nodeHashHex);
    });
  });

  describe("rootFromInclusionProof", function () {
    let registry: Contract;
    before(async function () {
      ({ registry } = await loadFixture(deployFixture));
    });

    it("hashes interior nodes as in the 32-byte hasher.json node known answers (N123/N456 children are not 32 bytes and cannot be passed as bytes32)", async function () {
      const kats = vectors.hasher.nodeHash.filter((k) => byteLength(k.leftHex) === 32 && byteLength(k.rightHex) === 32);
      expect(kats.length).to.equal(1);
      for (const kat of kats) {
        expect(await registry.rootFromInclusionProof(kat.leftHex, 0, 2, [kat.rightHex])).to.equal(kat.nodeHashHex);
        expect(await registry.rootFromInclusionProof(kat.rightHex, 1, 2, [kat.leftHex])).to.equal(kat.nodeHashHex);
      }
    });

    it("returns the root for every inclusion.json known_answer entry", async function () {
      expect(vectors.inclusion.knownAnswer.length).to.equal(12);
      for (const k of vectors.inclusion.knownAnswer) {
        const label = `index ${k.leafIndex} size ${k.treeSize}`;
        expect(refLeafHash(k.leafDataHex)).to.equal(k.leafHashHex, label);
        expect(await registry.leafHash(k.leafDataHex)).to.equal(k.leafHashHex, label);
        expect(await registry.rootFromInclusionProof(k.leafHashHex, k.leafIndex, k.treeSize, k.auditPathHex)).to.equal(
          k.rootHex,
          label,
        );
        expect(k.rootHex).to.equal(vectors.tree.rootsBySize[Number(k.treeSize)], label);
      }
    });

    it("agrees with the test reference PATH on the known_answer audit paths", function () {
      for (const k of vectors.inclusion.knownAnswer) {
        const leaves = vectors.tree.leafHashesHex.slice(0, Number(k.treeSize));
        expect(refInclusionProof(Number(k.leafIndex), leaves)).to.deep.equal(k.auditPathHex);
      }
    });

    for (const r of vectors.inclusion.realWorld) {
      it(`returns the root of the real-world proof: ${r.name}, index ${r.leafIndex} of ${r.treeSize}`, async function () {
        const leafHash = await registry.leafHash(r.leafDataHex);
        if (r.leafHashHex !== undefined) expect(leafHash).to.equal(r.leafHashHex);
        expect(await registry.rootFromInclusionProof(leafHash, r.leafIndex, r.treeSize, r.auditPathHex)).to.equal(
          r.rootHex,
        );
      });
    }

    it("returns the reference root for every index of every prefix (sizes 1..8) of the reference tree", async function () {
      const { leafHashesHex, rootsBySize } = vectors.tree;
      for (let n = 1; n <= 8; n++) {
        const leaves = leafHashesHex.slice(0, n);
        expect(refRoot(leaves)).to.equal(rootsBySize[n]);
        for (let m = 0; m < n; m++) {
          const proof = refInclusionProof(m, leaves);
          expect(await registry.rootFromInclusionProof(leaves[m], m, n, proof)).to.equal(rootsBySize[n], `${m}/${n}`);
        }
      }
    });

    it("reverts with GxpAnchorInvalidProof for a too-short or too-long path at every index of sizes 1..8", async function () {
      const { leafHashesHex } = vectors.tree;
      for (let n = 1; n <= 8; n++) {
        const leaves = leafHashesHex.slice(0, n);
        for (let m = 0; m < n; m++) {
          const proof = refInclusionProof(m, leaves);
          const variants = [[...proof, ZERO], [ZERO, ...proof], ...(proof.length > 0 ? [proof.slice(1)] : [])];
          for (const bad of variants) {
            await expect(registry.rootFromInclusionProof(leaves[m], m, n, bad))
              .to.be.revertedWithCustomError(registry, "GxpAnchorInvalidProof")
              .withArgs(m, n, bad.length);
          }
        }
      }
    });

    it("reverts with GxpAnchorInvalidProof when the index is not below the size", async function () {
      const leaf = vectors.tree.leafHashesHex[0];
      for (const [index, size] of [
        [0n, 0n],
        [1n, 1n],
        [8n, 8n],
        [9n, 8n],
        [2n ** 256n - 1n, 8n],
      ]) {
        await expect(registry.rootFromInclusionProof(leaf, index, size, []))
          .to.be.revertedWithCustomError(registry, "GxpAnchorInvalidProof")
          .withArgs(index, size, 0);
      }
    });

    describe("inclusion.json probes", function () {
      const probes = vectors.inclusion.probes;

      it("has 98 probes, 6 of them positive", function () {
        expect(probes.length).to.equal(98);
        expect(probes.filter((p) => !p.wantError).length).to.equal(6);
      });

      for (const p of probes) {
        const elements = [p.leafHashHex, ...p.auditPathHex];
        const encodable = elements.every((e) => byteLength(e) === 32);
        const expectedLength = refInclusionProofLength(p.leafIndex, p.treeSize);
        const wellFormed = expectedLength !== null && expectedLength === p.auditPathHex.length;

        if (!encodable) {
          it(`${p.file}: rejected by the ABI (leaf hash or path element is not 32 bytes, so ethers cannot encode it as bytes32)`, function () {
            expect(p.wantError).to.equal(true);
            expect(() =>
              registry.interface.encodeFunctionData("rootFromInclusionProof", [
                p.leafHashHex,
                p.leafIndex,
                p.treeSize,
                p.auditPathHex,
              ]),
            ).to.throw();
          });
        } else if (!wellFormed) {
          it(`${p.file}: reverts with GxpAnchorInvalidProof (index not below size, or wrong path length)`, async function () {
            expect(p.wantError).to.equal(true);
            await expect(registry.rootFromInclusionProof(p.leafHashHex, p.leafIndex, p.treeSize, p.auditPathHex))
              .to.be.revertedWithCustomError(registry, "GxpAnchorInvalidProof")
              .withArgs(p.leafIndex, p.treeSize, p.auditPathHex.length);
          });
        } else if (!p.wantError) {
          it(`${p.file}: returns the probe's root`, async function () {
            expect(
              await registry.rootFromInclusionProof(p.leafHashHex, p.leafIndex, p.treeSize, p.auditPathHex),
            ).to.equal(p.rootHex);
          });
        } else if (byteLength(p.rootHex) !== 32) {
          it(`${p.file}: returns a root unequal to the probe's root, which is not 32 bytes and cannot be a bytes32`, async function () {
            const root: string = await registry.rootFromInclusionProof(
              p.leafHashHex,
              p.leafIndex,
              p.treeSize,
              p.auditPathHex,
            );
            expect(root).to.not.equal(p.rootHex);
            expect(() => abi.encode(["bytes32"], [p.rootHex])).to.throw();
          });
        } else {
          it(`${p.file}: returns a root unequal to the probe's root`, async function () {
            const root: string = await registry.rootFromInclusionProof(
              p.leafHashHex,
              p.leafIndex,
              p.treeSize,
              p.auditPathHex,
            );
            expect(root).to.not.equal(p.rootHex);
          });
        }
      }
    });
  });

  describe("verifyInclusion", function () {
    it("returns true for every leaf of the anchored 8-leaf reference tree", async function () {
      const { registry } = await loadFixture(referenceTreeFixture);
      const leaves = vectors.tree.leafHashesHex;
      for (let m = 0; m < 8; m++) {
        expect(await registry.verifyInclusion(SITE_A, 0, leaves[m], m, refInclusionProof(m, leaves))).to.equal(
          true,
          `${m}`,
        );
      }
    });

    it("returns true for every leaf of every prefix size 1..8 anchored in its own ledger", async function () {
      const { registry } = await loadFixture(referenceTreeFixture);
      for (let n = 1; n <= 8; n++) {
        const leaves = vectors.tree.leafHashesHex.slice(0, n);
        for (let m = 0; m < n; m++) {
          const proof = refInclusionProof(m, leaves);
          expect(await registry.verifyInclusion(ethers.id(`ref/${n}`), 0, leaves[m], m, proof)).to.equal(
            true,
            `${m}/${n}`,
          );
        }
      }
    });

    it("indexes leaves from the epoch's firstSeq in a later epoch", async function () {
      const { registry, split } = await loadFixture(referenceTreeFixture);
      const epoch1 = vectors.tree.leafHashesHex.slice(3);
      for (let m = 0; m < epoch1.length; m++) {
        expect(await registry.verifyInclusion(split, 1, epoch1[m], m, refInclusionProof(m, epoch1))).to.equal(true);
      }
      // The same proof does not verify against epoch 0.
      expect(await registry.verifyInclusion(split, 0, epoch1[0], 0, refInclusionProof(0, epoch1))).to.equal(false);
    });

    it("returns false for a wrong leaf", async function () {
      const { registry } = await loadFixture(referenceTreeFixture);
      const leaves = vectors.tree.leafHashesHex;
      for (let m = 0; m < 8; m++) {
        const proof = refInclusionProof(m, leaves);
        expect(await registry.verifyInclusion(SITE_A, 0, leaves[(m + 1) % 8], m, proof)).to.equal(false, `${m}`);
        expect(await registry.verifyInclusion(SITE_A, 0, refLeafHash("0x6e6f742061206c656166"), m, proof)).to.equal(
          false,
        );
      }
    });

    it("returns false for a wrong index, including one outside the epoch", async function () {
      const { registry } = await loadFixture(referenceTreeFixture);
      const leaves = vectors.tree.leafHashesHex;
      for (let m = 0; m < 8; m++) {
        const proof = refInclusionProof(m, leaves);
        for (const wrong of [BigInt((m + 1) % 8), BigInt(m ^ 2), 8n, 9n, 2n ** 64n]) {
          expect(await registry.verifyInclusion(SITE_A, 0, leaves[m], wrong, proof)).to.equal(
            false,
            `${m} as ${wrong}`,
          );
        }
      }
    });

    it("returns false, not a revert, for a path of the wrong length or a proof for another tree size", async function () {
      const { registry } = await loadFixture(referenceTreeFixture);
      const leaves = vectors.tree.leafHashesHex;
      const proof = refInclusionProof(5, leaves);
      expect(await registry.verifyInclusion(SITE_A, 0, leaves[5], 5, proof.slice(1))).to.equal(false);
      expect(await registry.verifyInclusion(SITE_A, 0, leaves[5], 5, [...proof, ZERO])).to.equal(false);
      expect(await registry.verifyInclusion(SITE_A, 0, leaves[5], 5, [])).to.equal(false);
      // A valid proof for the 7-leaf prefix does not verify against the anchored 8-leaf root.
      expect(
        await registry.verifyInclusion(SITE_A, 0, leaves[5], 5, refInclusionProof(5, leaves.slice(0, 7))),
      ).to.equal(false);
      expect(
        await registry.verifyInclusion(
          SITE_A,
          0,
          leaves[5],
          5,
          proof.map((p, i) => (i === 1 ? ethers.id("flipped") : p)),
        ),
      ).to.equal(false);
    });

    it("reverts with GxpAnchorEpochNotAnchored when the epoch is not anchored", async function () {
      const { registry } = await loadFixture(referenceTreeFixture);
      const leaf = vectors.tree.leafHashesHex[0];
      await expect(registry.verifyInclusion(SITE_A, 1, leaf, 0, []))
        .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotAnchored")
        .withArgs(SITE_A, 1);
      await expect(registry.verifyInclusion(SITE_B, 0, leaf, 0, []))
        .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotAnchored")
        .withArgs(SITE_B, 0);
      await expect(registry.verifyInclusion(SITE_UNKNOWN, 0, leaf, 0, []))
        .to.be.revertedWithCustomError(registry, "GxpAnchorEpochNotAnchored")
        .withArgs(SITE_UNKNOWN, 0);
    });
  });
});

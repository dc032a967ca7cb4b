// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IGxpAnchor} from "./IGxpAnchor.sol";
import {Rfc9162} from "./lib/Rfc9162.sol";

/**
 * @title GxpAnchor
 * @notice Anchors the RFC 9162 Merkle roots ("epochs") of many independent GxP audit-trail ledgers, one per
 * manufacturing site, and verifies inclusion proofs against the anchored roots.
 * @dev Roles, in OpenZeppelin `AccessControl` terms:
 *
 * - `DEFAULT_ADMIN_ROLE` creates ledgers. It also stays the admin of every {ledgerAdminRole}, so it can
 *   replace a site's ledger admin. Until a ledger is created it is the admin of that ledger's
 *   {anchorerRole} as well (the `AccessControl` default); {createLedger} hands that over.
 * - {ledgerAdminRole}`(id)` administers {anchorerRole}`(id)` and nothing else, so a site admin can neither
 *   anchor for, nor grant roles of, another site's ledger.
 * - {anchorerRole}`(id)` may call {anchor} for ledger `id` only.
 *
 * Storage is packed for cheap steady-state anchoring: a ledger's state is one slot, an anchor is two
 * (the root, then the four `uint64` fields).
 */
contract GxpAnchor is AccessControl, IGxpAnchor {
    /// @dev A ledger's state, packed into one storage slot (1 + 8 + 8 bytes); written by {_storeLedger}.
    struct Ledger {
        bool exists;
        uint64 nextEpoch;
        uint64 nextSeq;
    }

    /// @dev Each ledger's existence and next epoch and sequence number; see {ledgerState}.
    mapping(bytes32 ledgerId => Ledger) private _ledgers;

    /// @dev Each ledger's anchored epochs; a zero root marks an epoch that is not anchored.
    mapping(bytes32 ledgerId => mapping(uint64 epoch => Anchor)) private _anchors;

    /**
     * @notice Deploys the registry with `admin` as the account that creates ledgers.
     * @dev Requirements: none (a zero `admin` leaves the registry without anyone able to create ledgers).
     *
     * Emits: a `RoleGranted` event for `DEFAULT_ADMIN_ROLE`.
     *
     * @param admin The account granted `DEFAULT_ADMIN_ROLE`.
     */
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IGxpAnchor
    function createLedger(bytes32 ledgerId, address ledgerAdmin) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (ledgerId == bytes32(0)) revert GxpAnchorZeroLedgerId();
        if (_ledgers[ledgerId].exists) revert GxpAnchorLedgerExists(ledgerId);

        _ledgers[ledgerId].exists = true;
        bytes32 adminRole = ledgerAdminRole(ledgerId);
        _grantRole(adminRole, ledgerAdmin);
        _setRoleAdmin(anchorerRole(ledgerId), adminRole);
        emit LedgerCreated(ledgerId, ledgerAdmin);
    }

    /// @inheritdoc IGxpAnchor
    function anchor(
        bytes32 ledgerId,
        uint64 epoch,
        bytes32 root,
        uint64 treeSize,
        uint64 firstSeq
    ) external onlyRole(anchorerRole(ledgerId)) {
        Ledger memory ledger = _ledgers[ledgerId];
        if (!ledger.exists) revert GxpAnchorUnknownLedger(ledgerId);
        if (root == bytes32(0)) revert GxpAnchorZeroRoot();
        if (treeSize == 0) revert GxpAnchorZeroSize();
        if (epoch < ledger.nextEpoch) revert GxpAnchorEpochAlreadyAnchored(ledgerId, epoch);
        if (epoch > ledger.nextEpoch) revert GxpAnchorEpochNotNext(ledgerId, epoch, ledger.nextEpoch);
        if (firstSeq != ledger.nextSeq) revert GxpAnchorSeqNotContiguous(ledgerId, firstSeq, ledger.nextSeq);

        // Checked arithmetic: a sequence range past 2^64 - 1 panics rather than wrapping.
        uint64 nextSeq = firstSeq + treeSize;
        _storeAnchor(_anchors[ledgerId][epoch], root, treeSize, firstSeq);
        _storeLedger(_ledgers[ledgerId], epoch + 1, nextSeq);

        emit EpochAnchored(ledgerId, epoch, msg.sender, root, treeSize, firstSeq);
    }

    /// @inheritdoc IGxpAnchor
    function registerLedgerKey(bytes32 ledgerId, bytes32 keyId) external {
        if (!hasRole(anchorerRole(ledgerId), msg.sender) && !hasRole(ledgerAdminRole(ledgerId), msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, anchorerRole(ledgerId));
        }
        if (!_ledgers[ledgerId].exists) revert GxpAnchorUnknownLedger(ledgerId);
        if (keyId == bytes32(0)) revert GxpAnchorZeroKeyId();
        emit LedgerKeyRegistered(ledgerId, keyId, msg.sender);
    }

    /// @inheritdoc IGxpAnchor
    function getAnchor(bytes32 ledgerId, uint64 epoch) public view returns (Anchor memory) {
        Anchor memory a = _anchors[ledgerId][epoch];
        // An anchored root is never zero, so a zero root means "not anchored".
        if (a.root == bytes32(0)) revert GxpAnchorEpochNotAnchored(ledgerId, epoch);
        return a;
    }

    /// @inheritdoc IGxpAnchor
    function ledgerState(bytes32 ledgerId) external view returns (bool exists, uint64 nextEpoch, uint64 nextSeq) {
        Ledger memory ledger = _ledgers[ledgerId];
        return (ledger.exists, ledger.nextEpoch, ledger.nextSeq);
    }

    /// @inheritdoc IGxpAnchor
    function anchorerRole(bytes32 ledgerId) public pure returns (bytes32) {
        return keccak256(abi.encode("GXP_ANCHORER_ROLE", ledgerId));
    }

    /// @inheritdoc IGxpAnchor
    function ledgerAdminRole(bytes32 ledgerId) public pure returns (bytes32) {
        return keccak256(abi.encode("GXP_LEDGER_ADMIN_ROLE", ledgerId));
    }

    /// @inheritdoc IGxpAnchor
    function leafHash(bytes calldata leafData) external pure returns (bytes32) {
        return Rfc9162.hashLeaf(leafData);
    }

    /// @inheritdoc IGxpAnchor
    function rootFromInclusionProof(
        bytes32 leafHash_,
        uint256 leafIndex,
        uint256 treeSize,
        bytes32[] calldata proof
    ) external pure returns (bytes32) {
        (bool ok, bytes32 root) = Rfc9162.tryRootFromInclusionProof(leafHash_, leafIndex, treeSize, proof);
        if (!ok) revert GxpAnchorInvalidProof(leafIndex, treeSize, proof.length);
        return root;
    }

    /// @inheritdoc IGxpAnchor
    function verifyInclusion(
        bytes32 ledgerId,
        uint64 epoch,
        bytes32 leafHash_,
        uint256 leafIndex,
        bytes32[] calldata proof
    ) external view returns (bool) {
        Anchor memory a = getAnchor(ledgerId, epoch);
        // The tree size comes from the anchor, not the caller: an audit path alone does not bind it.
        (bool ok, bytes32 root) = Rfc9162.tryRootFromInclusionProof(leafHash_, leafIndex, a.treeSize, proof);
        return ok && root == a.root;
    }

    /**
     * @dev Writes `a` (with the current block's timestamp and number) using one whole-slot SSTORE per slot.
     * Assigning the struct from Solidity read-modify-writes the packed slot once per field, about 1,400 gas
     * more per anchor. The packing is Solidity's own layout of {IGxpAnchor-Anchor}, so {getAnchor} reads it
     * back through the typed struct: slot 0 = root; slot 1 = treeSize (bits 0..63), firstSeq (64..127),
     * timestamp (128..191), blockNumber (192..255). Every value is masked to 64 bits, as inline assembly
     * must not rely on clean high-order bits; `block.timestamp` and `block.number` fit in 64 bits for the
     * foreseeable life of any chain.
     */
    function _storeAnchor(Anchor storage a, bytes32 root, uint64 treeSize, uint64 firstSeq) private {
        assembly ("memory-safe") {
            let m := 0xffffffffffffffff
            sstore(a.slot, root)
            sstore(
                add(a.slot, 1),
                or(
                    or(and(treeSize, m), shl(64, and(firstSeq, m))),
                    or(shl(128, and(timestamp(), m)), shl(192, and(number(), m)))
                )
            )
        }
    }

    /**
     * @dev Writes an existing ledger's state with one whole-slot SSTORE, for the same reason as
     * {_storeAnchor}. Solidity's layout of {Ledger}: exists = true (bits 0..7), nextEpoch (bits 8..71),
     * nextSeq (bits 72..135).
     */
    function _storeLedger(Ledger storage ledger, uint64 nextEpoch, uint64 nextSeq) private {
        assembly ("memory-safe") {
            let m := 0xffffffffffffffff
            sstore(ledger.slot, or(1, or(shl(8, and(nextEpoch, m)), shl(72, and(nextSeq, m)))))
        }
    }

    /**
     * @notice Returns whether this contract implements the interface `interfaceId` (ERC-165).
     * @dev Adds {IGxpAnchor} to the interfaces reported by `AccessControl`.
     *
     * Requirements: none.
     *
     * Emits: nothing.
     *
     * @param interfaceId The ERC-165 interface identifier.
     * @return True for {IGxpAnchor}, `IAccessControl` and `IERC165`.
     */
    function supportsInterface(bytes4 interfaceId) public view virtual override returns (bool) {
        return interfaceId == type(IGxpAnchor).interfaceId || super.supportsInterface(interfaceId);
    }
}

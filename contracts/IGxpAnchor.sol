// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/**
 * @title IGxpAnchor
 * @notice Anchors the Merkle roots ("epochs") of many independent GxP audit-trail ledgers, one per
 * manufacturing site, in a single contract, and verifies RFC 9162 inclusion proofs against them.
 * @dev A ledger is identified by a non-zero `bytes32` id. Its epochs are numbered 0, 1, 2, ... and cover
 * contiguous, gap-free ranges of event sequence numbers starting at 0: epoch `n + 1` starts where epoch `n`
 * ended (`firstSeq + treeSize`). An anchored epoch is never overwritten.
 *
 * Access is per ledger: {ledgerAdminRole} administers {anchorerRole}, so each site manages its own anchoring
 * accounts with the standard `grantRole`/`revokeRole` of OpenZeppelin's `AccessControl`.
 */
interface IGxpAnchor {
    /**
     * @notice The on-chain record of one epoch.
     * @dev Packed into two storage slots: `root`, then the four `uint64` fields.
     * @param root RFC 9162 Merkle tree head of the epoch's events.
     * @param treeSize Number of leaves (events) in the epoch's tree; never zero.
     * @param firstSeq Ledger sequence number of the epoch's leaf 0.
     * @param timestamp `block.timestamp` of the anchoring transaction.
     * @param blockNumber `block.number` of the anchoring transaction.
     */
    struct Anchor {
        bytes32 root;
        uint64 treeSize;
        uint64 firstSeq;
        uint64 timestamp;
        uint64 blockNumber;
    }

    /**
     * @notice Emitted when ledger `ledgerId` is created with `admin` as its ledger admin.
     * @param ledgerId The new ledger's id.
     * @param admin The account granted {ledgerAdminRole} of the ledger.
     */
    event LedgerCreated(bytes32 indexed ledgerId, address indexed admin);

    /**
     * @notice Emitted when `epoch` of ledger `ledgerId` is anchored by `anchorer`.
     * @dev `anchorer` is the account that called {anchor} (`msg.sender`), so a verifier can compare who
     * anchored with the accounts a site publishes, from the log alone.
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number.
     * @param anchorer The account that anchored the epoch (it held {anchorerRole} of the ledger).
     * @param root The epoch's Merkle tree head.
     * @param treeSize The number of leaves in the epoch.
     * @param firstSeq The sequence number of the epoch's first leaf.
     */
    event EpochAnchored(
        bytes32 indexed ledgerId,
        uint64 indexed epoch,
        address indexed anchorer,
        bytes32 root,
        uint64 treeSize,
        uint64 firstSeq
    );

    /**
     * @notice Emitted when the ledger's signing key `keyId` is registered for ledger `ledgerId`.
     * @dev The key signs the ledger's receipts and epoch checkpoints off chain; the log makes its
     * registration (and every rotation) public, with the account that registered it.
     * @param ledgerId The ledger's id.
     * @param keyId SHA-256 of the key's SubjectPublicKeyInfo (DER).
     * @param registeredBy The account that registered it (an anchorer or the ledger admin).
     */
    event LedgerKeyRegistered(bytes32 indexed ledgerId, bytes32 indexed keyId, address indexed registeredBy);

    /**
     * @notice Ledger `ledgerId` has already been created.
     * @param ledgerId The ledger's id.
     */
    error GxpAnchorLedgerExists(bytes32 ledgerId);

    /**
     * @notice Ledger `ledgerId` has not been created.
     * @param ledgerId The ledger's id.
     */
    error GxpAnchorUnknownLedger(bytes32 ledgerId);

    /// @notice The zero ledger id is reserved (it marks "no ledger").
    error GxpAnchorZeroLedgerId();

    /// @notice A key id must not be zero.
    error GxpAnchorZeroKeyId();

    /// @notice An epoch root must not be zero.
    error GxpAnchorZeroRoot();

    /// @notice An epoch must contain at least one leaf.
    error GxpAnchorZeroSize();

    /**
     * @notice `epoch` of ledger `ledgerId` is already anchored; anchors are never overwritten.
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number.
     */
    error GxpAnchorEpochAlreadyAnchored(bytes32 ledgerId, uint64 epoch);

    /**
     * @notice `epoch` skips ahead of the ledger's next epoch `expected`.
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number given.
     * @param expected The ledger's next epoch number.
     */
    error GxpAnchorEpochNotNext(bytes32 ledgerId, uint64 epoch, uint64 expected);

    /**
     * @notice `firstSeq` leaves a gap or an overlap with the ledger's previous epoch, which ended before
     * `expected`.
     * @param ledgerId The ledger's id.
     * @param firstSeq The first sequence number given.
     * @param expected The ledger's next sequence number.
     */
    error GxpAnchorSeqNotContiguous(bytes32 ledgerId, uint64 firstSeq, uint64 expected);

    /**
     * @notice `epoch` of ledger `ledgerId` has not been anchored (or the ledger does not exist).
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number.
     */
    error GxpAnchorEpochNotAnchored(bytes32 ledgerId, uint64 epoch);

    /**
     * @notice An inclusion proof is malformed: `leafIndex >= treeSize`, or `proofLength` is not the length
     * RFC 9162 requires for `(leafIndex, treeSize)`.
     * @param leafIndex The 0-based leaf index given.
     * @param treeSize The tree size given.
     * @param proofLength The number of proof hashes given.
     */
    error GxpAnchorInvalidProof(uint256 leafIndex, uint256 treeSize, uint256 proofLength);

    /**
     * @notice Creates ledger `ledgerId` and makes `ledgerAdmin` its ledger admin.
     * @dev Grants {ledgerAdminRole} to `ledgerAdmin` and makes {ledgerAdminRole} the admin role of
     * {anchorerRole} for this ledger.
     *
     * Requirements:
     *
     * - the caller must have `DEFAULT_ADMIN_ROLE`.
     * - `ledgerId` must not be zero.
     * - `ledgerId` must not have been created before.
     *
     * Emits: a {LedgerCreated} event, a `RoleGranted` event (unless `ledgerAdmin` already has the role) and
     * a `RoleAdminChanged` event.
     *
     * @param ledgerId The new ledger's id, for example a hash of the site identifier.
     * @param ledgerAdmin The account that will manage the ledger's anchorers.
     */
    function createLedger(bytes32 ledgerId, address ledgerAdmin) external;

    /**
     * @notice Anchors `epoch` of ledger `ledgerId`: a Merkle tree of `treeSize` events whose first event has
     * sequence number `firstSeq`.
     * @dev Records `block.timestamp` and `block.number` with the root and advances the ledger's next epoch
     * by one and its next sequence number by `treeSize`.
     *
     * Requirements (checked in this order):
     *
     * - the caller must have {anchorerRole} of `ledgerId`.
     * - the ledger must exist.
     * - `root` must not be zero.
     * - `treeSize` must not be zero.
     * - `epoch` must not be anchored already, and must be the ledger's next epoch (epochs start at 0).
     * - `firstSeq` must be the ledger's next sequence number (sequence numbers start at 0).
     * - `firstSeq + treeSize` must fit in a `uint64` (otherwise the call panics).
     *
     * Emits: an {EpochAnchored} event naming the caller as `anchorer`.
     *
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number; must equal `nextEpoch` of {ledgerState}.
     * @param root The RFC 9162 Merkle tree head of the epoch.
     * @param treeSize The number of leaves in the epoch.
     * @param firstSeq The sequence number of leaf 0; must equal `nextSeq` of {ledgerState}.
     */
    function anchor(bytes32 ledgerId, uint64 epoch, bytes32 root, uint64 treeSize, uint64 firstSeq) external;

    /**
     * @notice Registers `keyId` as the signing key of ledger `ledgerId` (its receipts and epoch
     * checkpoints), or a rotation to it.
     * @dev Stores nothing: the log is the record.
     *
     * Requirements:
     *
     * - the caller must have {anchorerRole} or {ledgerAdminRole} of `ledgerId`.
     * - the ledger must exist.
     * - `keyId` must not be zero.
     *
     * Emits: a {LedgerKeyRegistered} event.
     *
     * @param ledgerId The ledger's id.
     * @param keyId SHA-256 of the key's SubjectPublicKeyInfo (DER).
     */
    function registerLedgerKey(bytes32 ledgerId, bytes32 keyId) external;

    /**
     * @notice Returns the anchor of `epoch` of ledger `ledgerId`.
     * @dev Requirements:
     *
     * - `epoch` must have been anchored.
     *
     * Emits: nothing.
     *
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number.
     * @return The stored anchor.
     */
    function getAnchor(bytes32 ledgerId, uint64 epoch) external view returns (Anchor memory);

    /**
     * @notice Returns whether ledger `ledgerId` exists and which epoch and sequence number come next.
     * @dev Requirements: none; an unknown ledger reads as `(false, 0, 0)`.
     *
     * Emits: nothing.
     *
     * @param ledgerId The ledger's id.
     * @return exists Whether the ledger has been created.
     * @return nextEpoch The number the next anchored epoch must have (the count of anchored epochs).
     * @return nextSeq The first sequence number the next epoch must have (the count of anchored events).
     */
    function ledgerState(bytes32 ledgerId) external view returns (bool exists, uint64 nextEpoch, uint64 nextSeq);

    /**
     * @notice Returns the role allowed to anchor epochs of ledger `ledgerId`:
     * `keccak256(abi.encode("GXP_ANCHORER_ROLE", ledgerId))`.
     * @dev Requirements: none.
     *
     * Emits: nothing.
     *
     * @param ledgerId The ledger's id.
     * @return The role identifier.
     */
    function anchorerRole(bytes32 ledgerId) external pure returns (bytes32);

    /**
     * @notice Returns the role that administers {anchorerRole} of ledger `ledgerId`:
     * `keccak256(abi.encode("GXP_LEDGER_ADMIN_ROLE", ledgerId))`.
     * @dev Requirements: none.
     *
     * Emits: nothing.
     *
     * @param ledgerId The ledger's id.
     * @return The role identifier.
     */
    function ledgerAdminRole(bytes32 ledgerId) external pure returns (bytes32);

    /**
     * @notice Returns the RFC 9162 leaf hash of `leafData`: `SHA-256(0x00 ‖ leafData)`.
     * @dev Requirements: none.
     *
     * Emits: nothing.
     *
     * @param leafData The raw leaf bytes.
     * @return The leaf hash.
     */
    function leafHash(bytes calldata leafData) external pure returns (bytes32);

    /**
     * @notice Returns the root implied by an RFC 9162 §2.1.3.2 inclusion proof for leaf `leafIndex` of a
     * tree of `treeSize` leaves.
     * @dev Computes only; the caller compares the result with a trusted root for the same tree size.
     *
     * Requirements:
     *
     * - `leafIndex` must be less than `treeSize`.
     * - `proof` must have exactly the length RFC 9162 requires for `(leafIndex, treeSize)`.
     *
     * Emits: nothing.
     *
     * @param leafHash_ The leaf hash, see {leafHash}.
     * @param leafIndex The 0-based leaf index.
     * @param treeSize The tree size.
     * @param proof The audit path, from the leaf upwards.
     * @return The implied root.
     */
    function rootFromInclusionProof(
        bytes32 leafHash_,
        uint256 leafIndex,
        uint256 treeSize,
        bytes32[] calldata proof
    ) external pure returns (bytes32);

    /**
     * @notice Returns whether `proof` shows that leaf `leafIndex` of `epoch` of ledger `ledgerId` has hash
     * `leafHash_`, against the stored root and tree size of that epoch.
     * @dev A wrong leaf, index or proof (including an index outside the epoch or a proof of the wrong
     * length) returns false rather than reverting.
     *
     * Requirements:
     *
     * - `epoch` of `ledgerId` must have been anchored.
     *
     * Emits: nothing.
     *
     * @param ledgerId The ledger's id.
     * @param epoch The epoch number.
     * @param leafHash_ The leaf hash, see {leafHash}.
     * @param leafIndex The 0-based leaf index inside the epoch (the event's sequence number minus
     * `firstSeq`).
     * @param proof The audit path, from the leaf upwards.
     * @return True when the proof verifies.
     */
    function verifyInclusion(
        bytes32 ledgerId,
        uint64 epoch,
        bytes32 leafHash_,
        uint256 leafIndex,
        bytes32[] calldata proof
    ) external view returns (bool);
}

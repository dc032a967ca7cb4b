// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/**
 * @title EventOnlyAnchor
 * @notice Benchmark reference only (bench/gas.ts), never deployed by the ledger: the floor of anchoring
 * an epoch, the same arguments as GxpAnchor.anchor emitted as one event, with no storage, no access
 * control and no checks.
 */
contract EventOnlyAnchor {
    /// @dev The same fields as IGxpAnchor.EpochAnchored, the anchoring account (msg.sender) included.
    event EpochAnchored(
        bytes32 indexed ledgerId,
        uint64 indexed epoch,
        address indexed anchorer,
        bytes32 root,
        uint64 treeSize,
        uint64 firstSeq
    );

    /**
     * @notice Emits the epoch's anchor.
     * @dev Requirements: none. Emits: {EpochAnchored}.
     */
    function anchor(bytes32 ledgerId, uint64 epoch, bytes32 root, uint64 treeSize, uint64 firstSeq) external {
        emit EpochAnchored(ledgerId, epoch, msg.sender, root, treeSize, firstSeq);
    }
}

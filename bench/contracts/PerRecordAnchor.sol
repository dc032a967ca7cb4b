// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/**
 * @title PerRecordAnchor
 * @notice Benchmark reference only (bench/gas.ts), never deployed by the ledger: what anchoring every
 * record on its own costs, one storage slot and one event per event.
 */
contract PerRecordAnchor {
    /// @dev Emitted once per anchored record.
    event RecordAnchored(bytes32 indexed leafHash, uint256 timestamp);

    /// @dev Thrown when a record is anchored twice.
    error PerRecordAnchorAlreadyAnchored(bytes32 leafHash);

    /// @dev The block timestamp at which each record was anchored; zero when it was not.
    mapping(bytes32 leafHash => uint256 timestamp) private _anchoredAt;

    /**
     * @notice Anchors one record.
     * @dev Requirements: `leafHash` not anchored before. Emits: {RecordAnchored}.
     */
    function anchorRecord(bytes32 leafHash) external {
        _anchor(leafHash);
    }

    /**
     * @notice Anchors many records in one transaction: still one slot and one event each.
     * @dev Requirements: no hash anchored before. Emits: one {RecordAnchored} per hash.
     */
    function anchorRecords(bytes32[] calldata leafHashes) external {
        for (uint256 i = 0; i < leafHashes.length; ++i) _anchor(leafHashes[i]);
    }

    function _anchor(bytes32 leafHash) private {
        if (_anchoredAt[leafHash] != 0) revert PerRecordAnchorAlreadyAnchored(leafHash);
        _anchoredAt[leafHash] = block.timestamp;
        emit RecordAnchored(leafHash, block.timestamp);
    }
}

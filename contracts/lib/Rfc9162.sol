// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/**
 * @title Rfc9162
 * @notice RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing and inclusion proof computation over
 * SHA-256, the tree shape used by every GxP ledger epoch.
 * @dev Hashing follows RFC 9162 §2.1.1: a leaf is `SHA-256(0x00 ‖ data)` and an interior node is
 * `SHA-256(0x01 ‖ left ‖ right)`; the distinct prefixes keep a leaf hash from ever being passed off as a node
 * hash (second-preimage protection). SHA-256 is the precompile at address 0x02, reached through Solidity's
 * `sha256`.
 *
 * Inclusion proofs split compute from compare: {tryRootFromInclusionProof} checks the index, the size and the
 * proof length before hashing and returns the root the proof implies; callers compare it with a root they
 * trust, together with the tree size that root was committed with (an audit path alone does not bind the
 * tree size).
 */
library Rfc9162 {
    /// @notice Domain separation prefix of a leaf hash (RFC 9162 §2.1.1).
    bytes1 internal constant LEAF_PREFIX = 0x00;

    /// @notice Domain separation prefix of an interior node hash (RFC 9162 §2.1.1).
    bytes1 internal constant NODE_PREFIX = 0x01;

    /**
     * @notice Hashes one leaf's data: `SHA-256(0x00 ‖ data)`.
     * @param data The raw leaf bytes (for a GxP ledger, the canonical event bytes).
     * @return The leaf hash.
     */
    function hashLeaf(bytes calldata data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(LEAF_PREFIX, data));
    }

    /**
     * @notice Hashes two child hashes into their parent: `SHA-256(0x01 ‖ left ‖ right)`.
     * @param left The left child hash.
     * @param right The right child hash.
     * @return The interior node hash.
     */
    function hashChildren(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(NODE_PREFIX, left, right));
    }

    /**
     * @notice Returns how many hashes an inclusion proof for leaf `index` of a tree of `size` leaves has.
     * @dev The path climbs `inner` levels inside the smallest perfect subtree that holds both `index` and the
     * last leaf, then one hash per set bit of the remaining index bits (the left-hand "border" siblings).
     * This is the same count the RFC 9162 §2.1.3.2 loop consumes before `sn` reaches zero.
     *
     * Requirements:
     *
     * - `index` must be less than `size` (the result is meaningless otherwise).
     *
     * @param index The 0-based leaf index.
     * @param size The tree size.
     * @return The required number of proof hashes.
     */
    function inclusionProofLength(uint256 index, uint256 size) internal pure returns (uint256) {
        uint256 inner = _bitLength(index ^ (size - 1));
        return inner + _popCount(index >> inner);
    }

    /**
     * @notice Computes the root that an inclusion proof implies, without reverting.
     * @dev Transcribes RFC 9162 §2.1.3.2 literally (the `fn`/`sn` loop), after first checking that
     * `index < size` and that `proof` has exactly {inclusionProofLength} elements, so both too-short and
     * too-long paths are rejected before any hashing. The loop's own length checks (`sn == 0` during the
     * iteration, `sn != 0` after it) are kept as written in the RFC even though the length check above
     * already rules them out.
     *
     * The caller must compare `root` against a trusted root committed for the same `size`.
     *
     * @param leafHash The leaf hash, see {hashLeaf}.
     * @param index The 0-based leaf index.
     * @param size The tree size the proof was generated for.
     * @param proof The audit path, from the leaf upwards.
     * @return ok False when `index >= size` or the proof length does not match `(index, size)`.
     * @return root The implied root when `ok`, zero otherwise.
     */
    function tryRootFromInclusionProof(
        bytes32 leafHash,
        uint256 index,
        uint256 size,
        bytes32[] calldata proof
    ) internal pure returns (bool ok, bytes32 root) {
        // RFC 9162 §2.1.3.2 step 1: ">=", so that index == size is rejected.
        if (index >= size) return (false, bytes32(0));
        if (proof.length != inclusionProofLength(index, size)) return (false, bytes32(0));

        // Step 2 and 3.
        uint256 fn = index;
        uint256 sn = size - 1;
        bytes32 r = leafHash;

        // Step 4.
        for (uint256 i = 0; i < proof.length; ++i) {
            // Step 4a: the path is longer than the tree is tall.
            if (sn == 0) return (false, bytes32(0));
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                // Step 4b: `p` is a left sibling.
                r = hashChildren(p, r);
                if (fn & 1 == 0) {
                    // `fn` is the last node of its level and has no right sibling: climb past the levels
                    // where it is promoted unchanged.
                    while (fn & 1 == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                // `p` is a right sibling.
                r = hashChildren(r, p);
            }
            // Step 4c.
            fn >>= 1;
            sn >>= 1;
        }

        // Step 5: the path must have reached the root level; the root comparison is the caller's.
        if (sn != 0) return (false, bytes32(0));
        return (true, r);
    }

    /// @dev Number of bits needed to represent `x` (0 for 0).
    function _bitLength(uint256 x) private pure returns (uint256) {
        return x == 0 ? 0 : Math.log2(x) + 1;
    }

    /// @dev Number of set bits in `x` (Kernighan: one iteration per set bit).
    function _popCount(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }
}

/**
 * The anchor contract's interface as human-readable ABI: all a client or a verifier needs, without
 * build artifacts. test/chain/abi.test.ts pins it to the compiled contract.
 */
export const GXP_ANCHOR_ABI = [
  "constructor(address admin)",
  "event LedgerCreated(bytes32 indexed ledgerId, address indexed admin)",
  "event EpochAnchored(bytes32 indexed ledgerId, uint64 indexed epoch, bytes32 root, uint64 treeSize, uint64 firstSeq)",
  "error GxpAnchorLedgerExists(bytes32 ledgerId)",
  "error GxpAnchorUnknownLedger(bytes32 ledgerId)",
  "error GxpAnchorZeroLedgerId()",
  "error GxpAnchorZeroRoot()",
  "error GxpAnchorZeroSize()",
  "error GxpAnchorEpochAlreadyAnchored(bytes32 ledgerId, uint64 epoch)",
  "error GxpAnchorEpochNotNext(bytes32 ledgerId, uint64 epoch, uint64 expected)",
  "error GxpAnchorSeqNotContiguous(bytes32 ledgerId, uint64 firstSeq, uint64 expected)",
  "error GxpAnchorEpochNotAnchored(bytes32 ledgerId, uint64 epoch)",
  "error GxpAnchorInvalidProof(uint256 leafIndex, uint256 treeSize, uint256 proofLength)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "function DEFAULT_ADMIN_ROLE() view returns (bytes32)",
  "function createLedger(bytes32 ledgerId, address ledgerAdmin)",
  "function anchor(bytes32 ledgerId, uint64 epoch, bytes32 root, uint64 treeSize, uint64 firstSeq)",
  "function getAnchor(bytes32 ledgerId, uint64 epoch) view returns (tuple(bytes32 root, uint64 treeSize, uint64 firstSeq, uint64 timestamp, uint64 blockNumber))",
  "function ledgerState(bytes32 ledgerId) view returns (bool exists, uint64 nextEpoch, uint64 nextSeq)",
  "function anchorerRole(bytes32 ledgerId) pure returns (bytes32)",
  "function ledgerAdminRole(bytes32 ledgerId) pure returns (bytes32)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "function grantRole(bytes32 role, address account)",
  "function leafHash(bytes leafData) pure returns (bytes32)",
  "function rootFromInclusionProof(bytes32 leafHash_, uint256 leafIndex, uint256 treeSize, bytes32[] proof) pure returns (bytes32)",
  "function verifyInclusion(bytes32 ledgerId, uint64 epoch, bytes32 leafHash_, uint256 leafIndex, bytes32[] proof) view returns (bool)",
] as const;

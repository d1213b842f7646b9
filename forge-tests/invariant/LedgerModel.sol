// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RetirementClaims} from "../../contracts/RetirementClaims.sol";
import {RangeLists} from "../../contracts/utils/RangeLists.sol";

/**
 * @title LedgerModel
 * @notice What the ledger should hold after the handler's calls (the ghost state), and what it
 * predicts of a call before it is made: the claim a live list would refuse a range for, a valid or
 * invalid position hint, a claim id to decide. {LedgerHandler} acts and keeps it up to date; the
 * invariants in LedgerInvariants.t.sol read it through the views below.
 * @dev The world is small on purpose: 3 factories, 2 periods, 2 issuance blocks, so that a run of
 * 32 calls revisits the same keys. The model is kept as plain lists and searched linearly: slow
 * and obviously right, unlike the contract's linked lists it is checked against.
 */
abstract contract LedgerModel {
    uint256 internal constant STRANGER_KEY = 0xBAD;
    string public constant REGISTRY = "GEC";

    uint8 public constant PROVISIONAL = uint8(RetirementClaims.ClaimStatus.Provisional);
    uint8 public constant CONFIRMED = uint8(RetirementClaims.ClaimStatus.Confirmed);
    uint8 public constant REVOKED = uint8(RetirementClaims.ClaimStatus.Revoked);

    /// @notice What the model holds of one anchored revision.
    struct GhostAnchor {
        bytes32 root;
        address signer;
        uint256 anchoredBlock;
        uint64 leafCount;
    }

    /// @notice What the model holds of one recorded claim; claim `id` is `claims()[id - 1]`.
    struct GhostClaim {
        uint256 blockIndex;
        uint256 factory;
        uint128 start;
        uint128 end;
        bytes32 detailsHash;
        uint8 status;
        address decidedBy;
        uint256 decidedAt;
        bytes32 reasonHash;
    }

    /// @notice What the model holds of one signer epoch.
    struct GhostEpoch {
        address signer;
        uint256 fromBlock;
        bool forced;
    }

    string[3] internal _factories = ["CN-F0", "CN-F1", "CN-F2"];
    string[2] internal _periods = ["2025-01", "2025-02"];
    string[2] internal _blocks = ["GEC-B0", "GEC-B1"];

    mapping(uint256 factory => uint256 key) internal _currentKey;
    mapping(uint256 factory => uint256 key) internal _previousKey;
    mapping(uint256 factory => GhostEpoch[]) internal _epochs;
    uint256 internal _nextKey = 0x5000;

    mapping(uint256 factory => mapping(uint256 period => GhostAnchor[])) internal _anchors;
    /// @dev Each recorded signed claim (by its details hash, unique per factory, block and range).
    mapping(bytes32 detailsHash => uint256 claimId) internal _recorded;
    GhostClaim[] internal _claims;

    // ---- the model, for the invariants ----

    function factoryCount() external view returns (uint256) {
        return _factories.length;
    }

    function periodCount() external view returns (uint256) {
        return _periods.length;
    }

    function blockCount() external view returns (uint256) {
        return _blocks.length;
    }

    function factoryId(uint256 f) external view returns (string memory) {
        return _factories[f];
    }

    function period(uint256 p) external view returns (string memory) {
        return _periods[p];
    }

    function blockId(uint256 b) external view returns (string memory) {
        return _blocks[b];
    }

    function anchors(uint256 f, uint256 p) external view returns (GhostAnchor[] memory) {
        return _anchors[f][p];
    }

    function epochs(uint256 f) external view returns (GhostEpoch[] memory) {
        return _epochs[f];
    }

    /// @notice Every claim the model recorded, by id - 1.
    function claims() external view returns (GhostClaim[] memory) {
        return _claims;
    }

    /// @notice The model's live claims of block `b`, in serial order.
    function liveClaims(uint256 b) public view returns (uint256[] memory ids) {
        ids = new uint256[](_claims.length);
        uint256 n = 0;
        uint256 after_ = 0; // the last id listed; each round takes the next live claim by start
        for (bool found = true; found;) {
            found = false;
            uint256 best = 0;
            for (uint256 id = 1; id <= _claims.length; ++id) {
                if (
                    _isLive(b, id) && (after_ == 0 || _claims[id - 1].start > _claims[after_ - 1].start)
                        && (best == 0 || _claims[id - 1].start < _claims[best - 1].start)
                ) {
                    best = id;
                }
            }
            if (best != 0) {
                (ids[n++], after_, found) = (best, best, true);
            }
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    // ---- predictions ----

    /// @dev A claim id: one that exists, or one time in 4 (and while there is none) any of 0..n+1.
    function _pickClaim(uint256 seed, uint8 mode) internal view returns (uint256) {
        uint256 n = _claims.length;
        return n == 0 || mode >> 6 == 0 ? seed % (n + 2) : 1 + seed % n;
    }

    /// @dev The hint for a claim of block `b` at `start`: modes 0-4 the exact predecessor, 5 zero,
    /// 6 the block's first live claim (stale, or 0 after `start`), 7 an invalid one.
    function _chooseHint(uint256 b, uint128 start, uint256 mode) internal view returns (uint256) {
        uint256 kind = mode % 8;
        if (kind <= 4) {
            return _predecessor(b, start);
        }
        if (kind == 5) {
            return 0;
        }
        uint256[] memory live = liveClaims(b);
        if (kind == 6) {
            return live.length != 0 && _claims[live[0] - 1].start <= start ? live[0] : 0;
        }
        // Invalid (whichever `mode` picks): a revoked claim; a live claim of the other block starting
        // at or before `start` (the last such, so not its first when it has more); a live claim of this
        // block starting after `start`; else an id that does not exist.
        uint256 wanted = (mode >> 3) % 4;
        if (wanted == 1) {
            uint256 other = _predecessor((b + 1) % _blocks.length, start);
            if (other != 0) {
                return other;
            }
        }
        for (uint256 id = 1; id <= _claims.length; ++id) {
            GhostClaim storage g = _claims[id - 1];
            bool revoked = g.status == REVOKED;
            if ((wanted == 0 && revoked) || (wanted == 2 && !revoked && g.blockIndex == b && g.start > start)) {
                return id;
            }
        }
        return _claims.length + 1 + (mode >> 5) % 3;
    }

    /// @dev What the contract refuses a claim of `start..end` in block `b` with `hint` for (empty:
    /// nothing), in its order: the hint, then the live claim before the range if it holds `start`,
    /// then the first live claim after `start` if it starts within the range.
    function _expectedClaimError(uint256 b, uint128 start, uint128 end, uint256 hint)
        internal
        view
        returns (bytes memory)
    {
        if (hint != 0 && (!_isLive(b, hint) || _claims[hint - 1].start > start)) {
            return abi.encodeWithSelector(RangeLists.InvalidPositionHint.selector, hint);
        }
        uint256 before = _predecessor(b, start);
        if (before != 0 && _claims[before - 1].end >= start) {
            return _overlap(before);
        }
        uint256 next = 0;
        for (uint256 id = 1; id <= _claims.length; ++id) {
            if (
                _isLive(b, id) && _claims[id - 1].start > start
                    && (next == 0 || _claims[id - 1].start < _claims[next - 1].start)
            ) {
                next = id;
            }
        }
        if (next != 0 && _claims[next - 1].start <= end) {
            return _overlap(next);
        }
        return "";
    }

    function _overlap(uint256 id) internal view returns (bytes memory) {
        GhostClaim storage g = _claims[id - 1];
        return
            abi.encodeWithSelector(RetirementClaims.ClaimOverlaps.selector, id, _factories[g.factory], g.start, g.end);
    }

    /// @dev The model's live claim of block `b` with the greatest start at or before `point` (0: none).
    function _predecessor(uint256 b, uint128 point) internal view returns (uint256 best) {
        for (uint256 id = 1; id <= _claims.length; ++id) {
            if (
                _isLive(b, id) && _claims[id - 1].start <= point
                    && (best == 0 || _claims[id - 1].start > _claims[best - 1].start)
            ) {
                best = id;
            }
        }
    }

    /// @dev Whether the model holds claim `id` live in block `b`.
    function _isLive(uint256 b, uint256 id) internal view returns (bool) {
        if (id == 0 || id > _claims.length) {
            return false;
        }
        GhostClaim storage g = _claims[id - 1];
        return g.blockIndex == b && g.status != REVOKED;
    }

    function _decide(uint256 id, uint8 status, address by, bytes32 reasonHash) internal {
        GhostClaim storage g = _claims[id - 1];
        (g.status, g.decidedBy, g.decidedAt, g.reasonHash) = (status, by, block.timestamp, reasonHash);
    }

    /// @dev A key that does not sign for factory `f` now: its previous key after a rotation, else a stranger's.
    function _otherKey(uint256 f) internal view returns (uint256) {
        return _previousKey[f] != 0 ? _previousKey[f] : STRANGER_KEY;
    }
}

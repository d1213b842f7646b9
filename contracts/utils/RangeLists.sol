// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title RangeLists
 * @notice Disjoint closed ranges `[start, end]` of uint128, kept per list in ascending order as a
 * doubly linked list of ids, so that inserting, removing and finding cost the same however many
 * ranges a list holds — given a *position hint*.
 * @dev A hint is the id of a range already in the list whose start is at or before the point
 * looked for (0: the list's head). From it the search walks forward to the last range starting at
 * or before the point; with the right hint that is no step at all, with a stale one (ranges
 * inserted meanwhile) a few. Whoever calls pays for the walk, so a caller finds the hint off chain
 * (a database index, or the events) and the chain only checks it. A removed range keeps its bounds
 * and list, so its history stays readable; only its links are cleared.
 */
library RangeLists {
    /// @notice One range and its neighbours in its list (ids; 0: none).
    struct Node {
        uint128 start;
        uint128 end;
        uint128 prev;
        uint128 next;
        bytes32 list;
    }

    /// @notice Every list's head and every range, by id (ids are unique across lists).
    struct Lists {
        mapping(bytes32 list => uint256 head) heads;
        mapping(uint256 id => Node) nodes;
    }

    /// @dev The hint is not a range of this list that starts at or before the point.
    error InvalidPositionHint(uint256 hint);

    /// @dev Whether range `id` is in `list` now (inserted and not removed).
    function contains(Lists storage self, bytes32 list, uint256 id) internal view returns (bool) {
        Node storage node = self.nodes[id];
        return id != 0 && node.list == list && (node.prev != 0 || self.heads[list] == id);
    }

    /**
     * @dev The last range of `list` that starts at or before `point` (0: none) and the range after it
     * (0: none), walking forward from `hint`. Reverts with {InvalidPositionHint} for a hint that is
     * not in the list or starts after `point`.
     */
    function seek(Lists storage self, bytes32 list, uint128 point, uint256 hint)
        internal
        view
        returns (uint256 prev, uint256 next)
    {
        if (hint == 0) {
            next = self.heads[list];
        } else {
            if (!contains(self, list, hint) || self.nodes[hint].start > point) {
                revert InvalidPositionHint(hint);
            }
            prev = hint;
            next = self.nodes[hint].next;
        }
        while (next != 0 && self.nodes[next].start <= point) {
            prev = next;
            next = self.nodes[next].next;
        }
    }

    /// @dev The range of `list` that holds `point`, or 0.
    function find(Lists storage self, bytes32 list, uint128 point, uint256 hint) internal view returns (uint256) {
        (uint256 prev,) = seek(self, list, point, hint);
        return prev != 0 && self.nodes[prev].end >= point ? prev : 0;
    }

    /**
     * @dev Inserts range `id` = `[start, end]` (start ≤ end; `id` new and not 0) into `list`, unless it
     * shares a point with a range there: then nothing changes and that range's id is returned.
     */
    function insert(Lists storage self, bytes32 list, uint256 id, uint128 start, uint128 end, uint256 hint)
        internal
        returns (uint256 overlapping)
    {
        (uint256 prev, uint256 next) = seek(self, list, start, hint);
        if (prev != 0 && self.nodes[prev].end >= start) {
            return prev;
        }
        if (next != 0 && self.nodes[next].start <= end) {
            return next;
        }
        self.nodes[id] = Node({start: start, end: end, prev: uint128(prev), next: uint128(next), list: list});
        if (prev == 0) {
            self.heads[list] = id;
        } else {
            self.nodes[prev].next = uint128(id);
        }
        if (next != 0) {
            self.nodes[next].prev = uint128(id);
        }
        return 0;
    }

    /// @dev Takes range `id` (in `list`) out of the list; its bounds and list stay recorded.
    function remove(Lists storage self, bytes32 list, uint256 id) internal {
        Node storage node = self.nodes[id];
        (uint128 prev, uint128 next) = (node.prev, node.next);
        if (prev == 0) {
            self.heads[list] = next;
        } else {
            self.nodes[prev].next = next;
        }
        if (next != 0) {
            self.nodes[next].prev = prev;
        }
        (node.prev, node.next) = (0, 0);
    }

    /// @dev Up to `limit` ids of `list` in ascending order, after `afterId` (0: from the head).
    function page(Lists storage self, bytes32 list, uint256 afterId, uint256 limit)
        internal
        view
        returns (uint256[] memory ids)
    {
        uint256 cursor = afterId == 0 ? self.heads[list] : self.nodes[afterId].next;
        if (afterId != 0 && !contains(self, list, afterId)) {
            revert InvalidPositionHint(afterId);
        }
        ids = new uint256[](limit);
        uint256 n = 0;
        while (cursor != 0 && n < limit) {
            ids[n++] = cursor;
            cursor = self.nodes[cursor].next;
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Vm
 * @notice The forge cheatcodes these tests use, declared as forge implements them at the HEVM
 * address. Only what is used is declared; add a declaration here when a test needs another one.
 * @dev Forge-std is not on our registries (only an old unofficial npm copy), so the tests carry this
 * small base instead. Assertion cheatcodes revert with a message that names both values.
 */
interface Vm {
    // Keys and signatures.
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    // Environment.
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function roll(uint256 blockNumber) external;
    function chainId(uint256 newChainId) external;
    function warp(uint256 timestamp) external;
    function label(address account, string calldata name) external;
    function toString(bytes calldata value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
    /// @dev Marks `target`'s storage cold again, so a measured call pays what a transaction of its own would.
    function cool(address target) external;

    // Expectations.
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;

    // Fuzzing.
    function assume(bool condition) external pure;

    // Assertions.
    function assertTrue(bool condition, string calldata message) external pure;
    function assertFalse(bool condition, string calldata message) external pure;
    function assertEq(bool left, bool right, string calldata message) external pure;
    function assertEq(uint256 left, uint256 right, string calldata message) external pure;
    function assertEq(address left, address right, string calldata message) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata message) external pure;
    function assertEq(string calldata left, string calldata right, string calldata message) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata message) external pure;
}

/**
 * @title Test
 * @notice What every test contract here inherits: the cheatcodes, assertions that name what failed,
 * `bound` for fuzz inputs, and the target lists forge reads for invariant tests.
 * @dev Forge finds tests by name (`test…`, `testFuzz…`, `invariant…`, `setUp`), fails a test that
 * reverts, and asks an invariant test contract for `targetContracts()` and `targetSelectors()`.
 */
abstract contract Test {
    /// @dev What forge's `targetSelectors()` returns: the functions of `addr` the fuzzer may call.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    /// @dev The cheatcode address: `address(uint160(uint256(keccak256("hevm cheat code"))))`.
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @dev A named figure; forge prints it under "Logs:" at `-vv` (the ds-test log event it decodes).
    event log_named_uint(string key, uint256 val);

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    // ---- invariant targets ----

    /// @notice The contracts the invariant fuzzer calls (read by forge).
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @notice The functions the invariant fuzzer calls, per contract (read by forge).
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(address target, bytes4[] memory selectors) internal {
        _targetSelectors.push(FuzzSelector(target, selectors));
    }

    // ---- assertions ----

    function assertTrue(bool condition, string memory message) internal pure {
        vm.assertTrue(condition, message);
    }

    function assertFalse(bool condition, string memory message) internal pure {
        vm.assertFalse(condition, message);
    }

    function assertEq(bool left, bool right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(address left, address right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(string memory left, string memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(bytes memory left, bytes memory right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    // ---- fuzz inputs ----

    /// @dev `x` mapped into `min..max` (inclusive) by wrapping, so every value of the range is reachable
    /// and the edges come often (forge's fuzzer favours edge values of `x`).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) {
            return x;
        }
        uint256 size = max - min;
        if (size == type(uint256).max) {
            return x;
        }
        return min + (x % (size + 1));
    }
}

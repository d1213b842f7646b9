// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title Periods
 * @notice Validation of reporting periods written as `YYYY-MM`.
 * @dev Periods are kept as strings so that a factory's wallet shows them as people write them when
 * it signs; this library is the one place that decides what a well-formed period is.
 */
library Periods {
    /// @dev True iff `period` is exactly seven bytes `YYYY-MM`, all digits but the dash, month 01-12.
    function isValid(string calldata period) internal pure returns (bool) {
        bytes calldata b = bytes(period);
        if (b.length != 7 || b[4] != "-") {
            return false;
        }
        for (uint256 i = 0; i < 7; ++i) {
            if (i != 4 && (b[i] < "0" || b[i] > "9")) {
                return false;
            }
        }
        uint256 month = (uint8(b[5]) - 48) * 10 + (uint8(b[6]) - 48);
        return month >= 1 && month <= 12;
    }
}

"""Everything that talks to the EVM: contract artifacts, the local chain, the contract client."""

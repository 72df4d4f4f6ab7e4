"""The pure core: no I/O, no web3. Reference model, typed data, content addressing, charter, errors."""

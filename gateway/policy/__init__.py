"""The release policy: what the gateway may release, to whom, in what form."""

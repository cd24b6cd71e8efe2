"""The register in and out: the import upload page and the exports."""

"""The register in and out: imports (esd, FHRS, Gambling Commission), exports, licence expiry reminders."""

"""Effective-field terms, one per file, summed into H_eff by :class:`spinjax.SLLG`."""

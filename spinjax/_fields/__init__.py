"""Effective-field terms, one per file, summed into H_eff by [`spinjax.SLLG`][]."""

"""Reports over the built database for trainers: course packs, side-by-side comparison, overview charts."""

"""The THB Hub taxonomy: concept schemes as versioned data files, a loader and a service."""

//! lattice-sim: work in progress

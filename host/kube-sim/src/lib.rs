//! kube-sim: work in progress

//! Leader election with a coordination.k8s.io Lease, so several replicas are
//! safe: every replica watches and plans, only the leader writes.
//!
//! The holder renews the Lease every retry period (2 s of a 15 s Lease).
//! Another replica tries again when the Lease expires, and takes over only
//! once a renewal is overdue, with an update that carries the
//! resourceVersion it read, so two candidates cannot both win.
//!
//! Leadership is fenced by time ([`Leadership`]): a renewal sent at `t` is
//! trusted until `t` plus the Lease less one retry period, on the monotonic
//! clock. A process paused past its Lease (SIGSTOP, a frozen VM) wakes up
//! a follower, not a leader that writes once before its election notices.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, PostParams};
use tokio::sync::watch;
use tokio::time::Instant;

/// Whether this replica leads: the election's flag, trusted only until
/// the last renewal's deadline.
#[derive(Clone, Debug)]
pub struct Leadership {
    flag: watch::Receiver<bool>,
    /// `None`: no deadline (leadership decided by the caller, as in tests).
    until: Arc<Mutex<Option<Instant>>>,
}

impl Leadership {
    /// Leadership that follows `flag` alone, with no deadline.
    pub fn unfenced(flag: watch::Receiver<bool>) -> Self {
        Leadership {
            flag,
            until: Arc::new(Mutex::new(None)),
        }
    }

    /// Leading now: the flag says so and the last renewal is still good.
    pub fn leading(&self) -> bool {
        let until = *self.until.lock().unwrap_or_else(|p| p.into_inner());
        *self.flag.borrow() && until.is_none_or(|t| Instant::now() < t)
    }

    /// Waits for the flag to change; an error once the election has stopped.
    pub async fn changed(&mut self) -> Result<(), watch::error::RecvError> {
        self.flag.changed().await
    }

    /// The election's flag, to wait on.
    pub fn flag(&self) -> watch::Receiver<bool> {
        self.flag.clone()
    }
}

/// Who competes for which Lease.
#[derive(Clone, Debug)]
pub struct Election {
    /// Lease namespace.
    pub namespace: String,
    /// Lease name.
    pub name: String,
    /// This replica's identity.
    pub identity: String,
    /// How long a Lease holds without renewal.
    pub duration: Duration,
}

impl Election {
    /// The `lattice-host-leader` Lease in `namespace`, campaigned for by
    /// `replica` (the pod name) and this process's id.
    pub fn new(namespace: &str, replica: &str) -> Self {
        Election {
            namespace: namespace.to_string(),
            name: "lattice-host-leader".into(),
            identity: format!("{replica}-{}", std::process::id()),
            duration: Duration::from_secs(15),
        }
    }

    /// The same, with Leases that hold `duration` without renewal.
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Campaigns until every [`Leadership`] is dropped.
    pub fn start(self, client: kube::Client) -> Leadership {
        let (tx, rx) = watch::channel(false);
        let until = Arc::new(Mutex::new(Some(Instant::now())));
        let fence = until.clone();
        tokio::spawn(async move {
            let api: Api<Lease> = Api::namespaced(client, &self.namespace);
            loop {
                let sent = Instant::now();
                let (leading, expires_in) = match self.attempt(&api).await {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "lease: could not reach the API server");
                        // Stop writing if we cannot prove we still hold it.
                        (false, None)
                    }
                };
                // Trusted from when the renewal was sent, less a retry
                // period for clocks and a late next renewal.
                let good_until = sent + self.duration.saturating_sub(self.retry_period());
                *fence.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(if leading { good_until } else { sent });
                if *tx.borrow() != leading {
                    tracing::info!(identity = %self.identity, leading, "leadership changed");
                }
                if tx.send(leading).is_err() {
                    return;
                }
                // A follower tries again the moment another's Lease
                // expires, not up to a retry period later.
                let retry = self.retry_period();
                let next = expires_in.map_or(retry, |e| retry.min(e + Duration::from_millis(10)));
                tokio::time::sleep(next).await;
            }
        });
        Leadership { flag: rx, until }
    }

    /// How often the holder renews and a follower tries: 2 s for a 15 s
    /// Lease, as client-go's leader election does, so a follower takes
    /// over at most that long after the Lease expires.
    pub fn retry_period(&self) -> Duration {
        (self.duration * 2 / 15).max(Duration::from_millis(200))
    }

    /// One round: create, renew or take over the Lease. Returns whether we hold it.
    pub async fn try_hold(&self, api: &Api<Lease>) -> kube::Result<bool> {
        self.attempt(api).await.map(|(held, _)| held)
    }

    /// [`try_hold`](Self::try_hold), and when another's Lease expires.
    async fn attempt(&self, api: &Api<Lease>) -> kube::Result<(bool, Option<Duration>)> {
        let now = Timestamp::now();
        let secs = self.duration.as_secs().max(1) as i32;
        let fresh = |transitions: i32, acquire: Option<MicroTime>| LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(secs),
            acquire_time: Some(acquire.unwrap_or(MicroTime(now))),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(transitions),
            ..Default::default()
        };
        let Some(mut lease) = api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    namespace: Some(self.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(fresh(0, None)),
            };
            return match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok((true, None)),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok((false, None)),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let mine = spec.holder_identity.as_deref() == Some(self.identity.as_str());
        let held =
            SignedDuration::from_secs(i64::from(spec.lease_duration_seconds.unwrap_or(secs)));
        let end = spec
            .renew_time
            .as_ref()
            .and_then(|t| t.0.checked_add(held).ok());
        let expired = end.is_none_or(|end| end < now);
        if !mine && !expired {
            let left = end.and_then(|end| Duration::try_from(end.duration_since(now)).ok());
            return Ok((false, left));
        }
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!mine);
        lease.spec = Some(fresh(
            transitions,
            if mine { spec.acquire_time } else { None },
        ));
        // The read resourceVersion makes a racing takeover fail with 409.
        match api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok((true, None)),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok((false, None)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_leader_whose_renewal_is_overdue_stops_leading_whatever_its_flag_says() {
        let (_tx, rx) = watch::channel(true);
        let l = Leadership {
            flag: rx,
            until: Arc::new(Mutex::new(Some(Instant::now() + Duration::from_millis(50)))),
        };
        assert!(l.leading());
        // Stalled past the deadline: the flag still says true, the fence not.
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(*l.flag().borrow());
        assert!(!l.leading());
    }

    #[tokio::test]
    async fn unfenced_leadership_follows_its_flag() {
        let (tx, rx) = watch::channel(false);
        let l = Leadership::unfenced(rx);
        assert!(!l.leading());
        tx.send(true).unwrap();
        assert!(l.leading());
    }
}

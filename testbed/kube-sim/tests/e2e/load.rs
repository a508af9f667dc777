//! Load: 1,000 objects created while 5 watchers follow; every watcher sees every
//! event, in resourceVersion order, with nothing dropped.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use serde_json::json;

use crate::common::start;

const OBJECTS: usize = 1_000;
const WATCHERS: usize = 5;
const CREATORS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_watchers_each_see_all_thousand_creations_in_order() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let from = cms
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let started = Instant::now();

    let mut watchers = Vec::new();
    for _ in 0..WATCHERS {
        let api = cms.clone();
        let from = from.clone();
        watchers.push(tokio::spawn(async move {
            let mut stream = api
                .watch(&WatchParams::default().timeout(120), &from)
                .await
                .expect("watch")
                .boxed();
            let mut seen = Vec::with_capacity(OBJECTS);
            while seen.len() < OBJECTS {
                match stream.try_next().await.expect("watch stream") {
                    Some(WatchEvent::Added(cm)) => {
                        let rv: u64 = cm
                            .metadata
                            .resource_version
                            .as_deref()
                            .unwrap_or("0")
                            .parse()
                            .expect("numeric rv");
                        seen.push((rv, cm.metadata.name.unwrap_or_default()));
                    }
                    Some(WatchEvent::Bookmark(_)) => {}
                    Some(other) => panic!("unexpected event {other:?}"),
                    None => panic!("watch ended after {} events", seen.len()),
                }
            }
            seen
        }));
    }

    let mut creators = Vec::new();
    for c in 0..CREATORS {
        let api = cms.clone();
        creators.push(tokio::spawn(async move {
            for i in (c..OBJECTS).step_by(CREATORS) {
                let cm: ConfigMap =
                    serde_json::from_value(json!({"metadata": {"name": format!("load-{i:04}")}, "data": {"i": i.to_string()}}))
                        .expect("cm");
                api.create(&PostParams::default(), &cm).await.expect("created");
            }
        }));
    }
    for c in creators {
        c.await.expect("creator");
    }

    let expected: BTreeSet<String> = (0..OBJECTS).map(|i| format!("load-{i:04}")).collect();
    for w in watchers {
        let seen = tokio::time::timeout(Duration::from_secs(60), w)
            .await
            .expect("watcher in time")
            .expect("watcher");
        assert_eq!(seen.len(), OBJECTS);
        assert!(
            seen.windows(2).all(|p| p[0].0 < p[1].0),
            "events arrive in resourceVersion order"
        );
        let names: BTreeSet<String> = seen.into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, expected, "every object seen exactly once");
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

//! Layering, ranges and the Go controller's readings of each variable.
// figment's Jail fixes the closures' error type to figment::Error.
#![allow(clippy::result_large_err)]

use super::*;
use figment::Jail;

fn fail(e: ConfigError) -> figment::Error {
    figment::Error::from(e.to_string())
}

/// The identity `run` requires, but the cluster name.
fn identity(jail: &mut Jail) {
    jail.set_env("CLUSTER_VPC_ID", "vpc-0123456789abcdef0");
    jail.set_env("REGION", "eu-west-1");
    jail.set_env("AWS_ACCOUNT_ID", "123456789012");
}

#[test]
fn layers_go_defaults_then_file_then_environment_then_flags() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "c.yaml",
            "cluster_name: from-file\nregion: eu-west-1\nroute_max_concurrent_reconciles: 5\n",
        )?;
        identity(jail);
        jail.set_env("REGION", "us-east-2");
        jail.set_env("ROUTE_MAX_CONCURRENT_RECONCILES", "7");
        let flags = Settings {
            route_max_concurrent_reconciles: Some(9),
            ..Default::default()
        };
        let c = Settings::load(Some(Path::new("c.yaml")), &flags)
            .map_err(fail)?
            .resolve()
            .map_err(fail)?;
        assert_eq!(c.cluster.cluster_name, "from-file");
        assert_eq!(c.cluster.region, "us-east-2");
        assert_eq!(c.max_concurrent_reconciles, 9);
        assert_eq!(c.resync, Duration::from_secs(600));
        Ok(())
    });
}

#[test]
fn a_bad_value_names_the_key_and_where_it_came_from() {
    Jail::expect_with(|jail| {
        jail.set_env("ROUTE_MAX_CONCURRENT_RECONCILES", "many");
        let err = Settings::load(None, &Settings::default())
            .expect_err("bad value")
            .to_string();
        assert!(
            err.contains("ROUTE_MAX_CONCURRENT_RECONCILES") && err.contains("environment"),
            "{err}"
        );
        jail.create_file("bad.yaml", "enable_service_network_override: maybe\n")?;
        jail.set_env("ROUTE_MAX_CONCURRENT_RECONCILES", "3");
        let err = Settings::load(Some(Path::new("bad.yaml")), &Settings::default())
            .expect_err("bad value")
            .to_string();
        assert!(
            err.contains("enable_service_network_override") && err.contains("bad.yaml"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn ranges_and_required_keys_are_checked() {
    Jail::expect_with(|jail| {
        identity(jail);
        jail.set_env("CLUSTER_NAME", "c");
        jail.set_env("ROUTE_MAX_CONCURRENT_RECONCILES", "0");
        let err = Settings::load(None, &Settings::default())
            .map_err(fail)?
            .resolve()
            .expect_err("range");
        assert!(err.to_string().contains("ROUTE_MAX_CONCURRENT_RECONCILES"));
        jail.set_env("ROUTE_MAX_CONCURRENT_RECONCILES", "4");
        assert!(
            Settings::load(None, &Settings::default())
                .map_err(fail)?
                .resolve()
                .is_ok()
        );
        Ok(())
    });
    let err = Settings::default().resolve().expect_err("missing");
    assert!(err.to_string().contains("CLUSTER_NAME is required"));
}

#[test]
fn the_admin_address_defaults_and_is_checked() {
    Jail::expect_with(|jail| {
        jail.set_env("CLUSTER_NAME", "c");
        identity(jail);
        let c = Settings::load(None, &Settings::default())
            .map_err(fail)?
            .resolve()
            .map_err(fail)?;
        assert_eq!(c.admin_listen.to_string(), DEFAULT_ADMIN_LISTEN);
        jail.set_env("ADMIN_LISTEN", "127.0.0.1:9100");
        let flags = Settings {
            admin_listen: Some("127.0.0.1:9200".into()),
            ..Default::default()
        };
        let from_env = Settings::load(None, &Settings::default()).map_err(fail)?;
        assert_eq!(
            from_env.resolve().map_err(fail)?.admin_listen.to_string(),
            "127.0.0.1:9100"
        );
        let from_flag = Settings::load(None, &flags).map_err(fail)?;
        assert_eq!(
            from_flag.resolve().map_err(fail)?.admin_listen.to_string(),
            "127.0.0.1:9200"
        );
        jail.set_env("ADMIN_LISTEN", "localhost");
        let err = Settings::load(None, &Settings::default())
            .map_err(fail)?
            .resolve()
            .expect_err("not an address");
        assert!(err.to_string().starts_with("ADMIN_LISTEN: "), "{err}");
        Ok(())
    });
}

#[test]
fn lattice_call_limits_default_under_the_quotas_and_zero_lifts_them() {
    Jail::expect_with(|jail| {
        jail.set_env("CLUSTER_NAME", "c");
        identity(jail);
        let load = || Settings::load(None, &Settings::default());
        let c = load().map_err(fail)?.resolve().map_err(fail)?;
        let o = c.lattice_calls.apply_options();
        assert_eq!(
            o.read_rate.map(|r| (r.per_second, r.burst)),
            Some((50.0, 100))
        );
        assert_eq!(
            o.write_rate.map(|r| (r.per_second, r.burst)),
            Some((10.0, 20))
        );
        assert_eq!(o.concurrency, 16);
        jail.set_env("LATTICE_READS_PER_SECOND", "0");
        jail.set_env("LATTICE_WRITES_PER_SECOND", "");
        jail.set_env("LATTICE_MAX_CONCURRENT_CALLS", "64");
        let o = load()
            .map_err(fail)?
            .resolve()
            .map_err(fail)?
            .lattice_calls
            .apply_options();
        assert_eq!((o.read_rate, o.concurrency), (None, 64));
        assert!(o.write_rate.is_some(), "an empty variable is an unset one");
        jail.set_env("LATTICE_MAX_CONCURRENT_CALLS", "0");
        let err = load()
            .map_err(fail)?
            .resolve()
            .expect_err("range")
            .to_string();
        assert!(err.starts_with("LATTICE_MAX_CONCURRENT_CALLS: "), "{err}");
        Ok(())
    });
}

#[test]
fn the_log_format_is_text_or_json() {
    Jail::expect_with(|jail| {
        assert_eq!(log_format(None).map_err(fail)?, LogFormat::Text);
        jail.set_env("LOG_FORMAT", "JSON");
        assert_eq!(log_format(None).map_err(fail)?, LogFormat::Json);
        jail.set_env("LOG_FORMAT", "yaml");
        let err = log_format(None).expect_err("bad format").to_string();
        assert!(err.contains("LOG_FORMAT") && err.contains("yaml"), "{err}");
        Ok(())
    });
}

#[test]
fn the_clusters_identity_is_required_and_never_made_up() {
    Jail::expect_with(|jail| {
        jail.set_env("CLUSTER_NAME", "c");
        identity(jail);
        for key in ["CLUSTER_VPC_ID", "REGION", "AWS_ACCOUNT_ID"] {
            let value = std::env::var(key).expect("set above");
            jail.set_env(key, "");
            let err = Settings::load(None, &Settings::default())
                .map_err(fail)?
                .resolve()
                .expect_err("missing")
                .to_string();
            assert!(err.contains(&format!("{key} is required")), "{err}");
            jail.set_env(key, value);
        }
        Ok(())
    });
}

#[test]
fn an_account_id_is_text_as_written_even_with_a_leading_zero() {
    Jail::expect_with(|jail| {
        jail.set_env("CLUSTER_NAME", "2024");
        identity(jail);
        jail.set_env("AWS_ACCOUNT_ID", "012345678901");
        let c = Settings::load(None, &Settings::default())
            .map_err(fail)?
            .resolve()
            .map_err(fail)?;
        assert_eq!(c.cluster.account_id, "012345678901");
        assert_eq!(c.cluster.cluster_name, "2024");
        jail.create_file("c.yaml", "aws_account_id: 123456789012\n")?;
        jail.set_env("AWS_ACCOUNT_ID", "");
        let c = Settings::load(Some(Path::new("c.yaml")), &Settings::default())
            .map_err(fail)?
            .resolve()
            .map_err(fail)?;
        assert_eq!(c.cluster.account_id, "123456789012");
        Ok(())
    });
}

#[test]
fn an_empty_variable_is_unset_as_the_go_controllers_chart_renders_it() {
    Jail::expect_with(|jail| {
        jail.set_env("CLUSTER_NAME", "c");
        identity(jail);
        // Every variable but the identity: bools, numbers and text.
        let identity = ["CLUSTER_NAME", "CLUSTER_VPC_ID", "REGION", "AWS_ACCOUNT_ID"];
        for key in ENV_KEYS.iter().chain(OWN_ENV_KEYS) {
            if !identity.contains(key) {
                jail.set_env(key, "");
            }
        }
        let c = Settings::load(None, &Settings::default())
            .map_err(fail)?
            .resolve()
            .map_err(fail)?;
        assert_eq!(c.max_concurrent_reconciles, 20);
        assert_eq!(c.resync, Duration::from_secs(600));
        assert_eq!(c.lattice_endpoint, None);
        assert_eq!(c.cluster.default_service_network, None);
        assert_eq!(c.admin_listen.to_string(), DEFAULT_ADMIN_LISTEN);
        assert_eq!(c.lattice_calls.reads_per_second, 50);
        assert_eq!(c.lattice_calls.writes_per_second, 10);
        assert_eq!(c.lattice_calls.concurrency, 16);
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(!c.cluster.service_network_override);
        assert_eq!(c.cluster.reference_grants, ReferenceGrantPolicy::Require);
        assert_eq!(log_level(None), "info");
        Ok(())
    });
}

/// `run`'s settings with the identity and these variables set.
fn resolved_with(jail: &mut Jail, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    jail.set_env("CLUSTER_NAME", "c");
    identity(jail);
    for (k, v) in vars {
        jail.set_env(k, v);
    }
    Settings::load(None, &Settings::default())?.resolve()
}

#[test]
fn the_log_level_is_info_unless_set() {
    Jail::expect_with(|jail| {
        assert_eq!(log_level(None), "info");
        jail.set_env("LOG_LEVEL", "");
        assert_eq!(log_level(None), "info");
        jail.set_env("LOG_LEVEL", "debug");
        assert_eq!(log_level(None), "debug");
        jail.create_file("c.yaml", "log_level: warn\n")?;
        jail.set_env("LOG_LEVEL", "");
        assert_eq!(log_level(Some(Path::new("c.yaml"))), "warn");
        Ok(())
    });
}

#[test]
fn the_resync_takes_what_the_go_controller_takes() {
    Jail::expect_with(|jail| {
        let resync = |jail: &mut Jail, v: &str| {
            resolved_with(jail, &[("RECONCILE_DEFAULT_RESYNC_SECONDS", v)]).map(|c| c.resync)
        };
        assert_eq!(resync(jail, "").map_err(fail)?, Duration::from_secs(600));
        assert_eq!(resync(jail, "0").map_err(fail)?, Duration::ZERO, "0 is off");
        assert_eq!(resync(jail, "60").map_err(fail)?, Duration::from_secs(60));
        assert_eq!(
            resync(jail, "86400").map_err(fail)?,
            Duration::from_secs(86400)
        );
        for short in ["1", "59"] {
            let err = resync(jail, short).expect_err("under a minute").to_string();
            assert!(
                err.starts_with("RECONCILE_DEFAULT_RESYNC_SECONDS: ")
                    && err.contains("neither 0 (off) nor at least 60"),
                "{err}"
            );
        }
        let err = resync(jail, "-1").expect_err("negative").to_string();
        assert!(err.contains("RECONCILE_DEFAULT_RESYNC_SECONDS"), "{err}");
        Ok(())
    });
}

#[test]
fn the_override_reads_true_in_any_case_as_the_go_controller_does() {
    Jail::expect_with(|jail| {
        let on = |jail: &mut Jail, v: &str| {
            let vars = [
                ("ENABLE_SERVICE_NETWORK_OVERRIDE", v),
                ("DEFAULT_SERVICE_NETWORK", "shared"),
            ];
            resolved_with(jail, &vars).map(|c| c.cluster)
        };
        for (value, want) in [
            ("true", true),
            ("True", true),
            ("TRUE", true),
            ("False", false),
        ] {
            let cluster = on(jail, value).map_err(fail)?;
            assert_eq!(cluster.service_network_override, want, "{value}");
            assert_eq!(
                cluster.override_network(),
                want.then_some("shared"),
                "{value}"
            );
        }
        let err = on(jail, "yes").expect_err("not a bool").to_string();
        assert!(err.contains("ENABLE_SERVICE_NETWORK_OVERRIDE"), "{err}");
        // Without a default network the override does nothing, as in Go.
        let vars = [
            ("ENABLE_SERVICE_NETWORK_OVERRIDE", "true"),
            ("DEFAULT_SERVICE_NETWORK", ""),
        ];
        let cluster = resolved_with(jail, &vars).map_err(fail)?.cluster;
        assert_eq!(cluster.override_network(), None);
        Ok(())
    });
}

#[test]
fn the_reference_grant_policy_is_require_or_ignore() {
    Jail::expect_with(|jail| {
        let policy = |jail: &mut Jail, v: &str| {
            resolved_with(jail, &[("REFERENCE_GRANT_POLICY", v)])
                .map(|c| c.cluster.reference_grants)
        };
        let require = ReferenceGrantPolicy::Require;
        assert_eq!(policy(jail, "require").map_err(fail)?, require);
        assert_eq!(
            policy(jail, "IGNORE").map_err(fail)?,
            ReferenceGrantPolicy::Ignore
        );
        let err = policy(jail, "off").expect_err("bad policy").to_string();
        assert_eq!(
            err,
            "REFERENCE_GRANT_POLICY: \"off\" is neither require nor ignore"
        );
        jail.set_env("REFERENCE_GRANT_POLICY", "ignore");
        let flags = Settings {
            reference_grant_policy: Some("require".into()),
            ..Default::default()
        };
        let c = Settings::load(None, &flags)
            .map_err(fail)?
            .resolve()
            .map_err(fail)?;
        assert_eq!(c.cluster.reference_grants, require, "a flag wins");
        Ok(())
    });
}

//! Conversions between [`crate::types`] and bindings generated from `wit/`.
//!
//! Guest bindings (wit-bindgen) and host bindings (wasmtime) both generate a
//! `types` module whose Rust names match the WIT names. [`__bridge_types!`]
//! writes the field-by-field conversions for either, from one list, so the
//! list cannot drift. The guest uses it; the host does not need it: with the
//! `host` feature the types themselves derive wasmtime's
//! `ComponentType`/`Lower`/`Lift`, checked against the WIT when a plugin
//! loads.

/// Defines `trait Conv<T>` and conversions between [`crate::types`] and the
/// generated module at the given path, in both directions.
#[doc(hidden)]
#[macro_export]
macro_rules! __bridge_types {
    ($($w:ident)::+) => {
        use $($w)::+ as w;
        use $crate::types as s;

        /// Converts a value into its twin on the other side of the WIT boundary.
        pub trait Conv<T> {
            /// Converts.
            fn conv(self) -> T;
        }
        impl Conv<String> for String { #[inline] fn conv(self) -> String { self } }
        impl Conv<u32> for u32 { #[inline] fn conv(self) -> u32 { self } }
        impl Conv<u16> for u16 { #[inline] fn conv(self) -> u16 { self } }
        impl Conv<bool> for bool { #[inline] fn conv(self) -> bool { self } }
        impl<A: Conv<B>, B> Conv<Vec<B>> for Vec<A> {
            #[inline]
            fn conv(self) -> Vec<B> { self.into_iter().map(Conv::conv).collect() }
        }
        impl<A: Conv<B>, B> Conv<Option<B>> for Option<A> {
            #[inline]
            fn conv(self) -> Option<B> { self.map(Conv::conv) }
        }
        $crate::__bridge_enums! {
            Stage { Mapping, Weighting, Auth }
            RouteKind { Http, Grpc, Tls }
            MatchType { Exact, PathPrefix, RegularExpression }
            LatticePathType { Exact, Prefix }
            LatticeHeaderType { Exact, Prefix, Contains }
            Resolution { Resolved, NotFound, InvalidKind, NotPermitted }
            AuthTargetKind { ServiceNetwork, Service }
        }
        $crate::__bridge_variants! {
            RouteMatch { Http, Grpc }
            WeightedAction { Forward, FixedResponse }
        }
        $crate::__bridge_records! {
            PluginInfo { name, version, stage }
            Diagnostic { condition, reason, message, field }
            KeyValue { key, value }
            ObjectRef { namespace, name }
            PathMatch { match_type, value }
            HeaderMatch { match_type, name, value }
            HttpMatch { path, headers, query_params, method }
            GrpcMatch { match_type, service, method, headers }
            RouteFilter { kind, field }
            RouteRule { name, matches, filters, backend_count }
            Route { kind, id, hostnames, annotations, rules }
            LatticePathMatch { path_type, value, case_sensitive }
            LatticeHeaderMatch { name, header_type, value, case_sensitive }
            LatticeMatch { method, path, headers }
            MappingResult { rules, default_rule, diagnostics }
            Backend { target_group, display, weight, resolution, field }
            RuleBackends { route, rule_index, backends }
            WeightedTarget { target_group, weight }
            WeightingResult { action, diagnostics }
            IamAuthPolicy { id, creation_timestamp, policy }
            AuthTarget { kind, id, object_kind, policies }
            AuthResult { auth_type, policy, diagnostics }
        }

        // `match` is a keyword: WIT's `%match` becomes `match_` in generated code.
        impl Conv<w::MappedRule> for s::MappedRule {
            fn conv(self) -> w::MappedRule {
                w::MappedRule {
                    rule_index: self.rule_index,
                    match_index: self.match_index,
                    priority: self.priority,
                    match_: self.r#match.conv(),
                    action: self.action.conv(),
                }
            }
        }
        impl Conv<s::MappedRule> for w::MappedRule {
            fn conv(self) -> s::MappedRule {
                s::MappedRule {
                    rule_index: self.rule_index,
                    match_index: self.match_index,
                    priority: self.priority,
                    r#match: self.match_.conv(),
                    action: self.action.conv(),
                }
            }
        }
        impl Conv<w::RuleAction> for s::RuleAction {
            fn conv(self) -> w::RuleAction {
                match self {
                    s::RuleAction::Forward => w::RuleAction::Forward,
                    s::RuleAction::FixedResponse(c) => w::RuleAction::FixedResponse(c),
                }
            }
        }
        impl Conv<s::RuleAction> for w::RuleAction {
            fn conv(self) -> s::RuleAction {
                match self {
                    w::RuleAction::Forward => s::RuleAction::Forward,
                    w::RuleAction::FixedResponse(c) => s::RuleAction::FixedResponse(c),
                }
            }
        }
    };
}

/// Field-by-field conversions of records; used by [`__bridge_types!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __bridge_records { ($($t:ident { $($f:ident),* })*) => { $(
    impl Conv<w::$t> for s::$t {
        #[inline]
        fn conv(self) -> w::$t { w::$t { $($f: self.$f.conv()),* } }
    }
    impl Conv<s::$t> for w::$t {
        #[inline]
        fn conv(self) -> s::$t { s::$t { $($f: self.$f.conv()),* } }
    }
)* } }

/// Conversions of payload-free enums; used by [`__bridge_types!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __bridge_enums { ($($t:ident { $($v:ident),* })*) => { $(
    impl Conv<w::$t> for s::$t {
        #[inline]
        fn conv(self) -> w::$t { match self { $(s::$t::$v => w::$t::$v),* } }
    }
    impl Conv<s::$t> for w::$t {
        #[inline]
        fn conv(self) -> s::$t { match self { $(w::$t::$v => s::$t::$v),* } }
    }
)* } }

/// Conversions of variants whose cases all carry one payload.
#[doc(hidden)]
#[macro_export]
macro_rules! __bridge_variants { ($($t:ident { $($v:ident),* })*) => { $(
    impl Conv<w::$t> for s::$t {
        #[inline]
        fn conv(self) -> w::$t { match self { $(s::$t::$v(x) => w::$t::$v(x.conv())),* } }
    }
    impl Conv<s::$t> for w::$t {
        #[inline]
        fn conv(self) -> s::$t { match self { $(w::$t::$v(x) => s::$t::$v(x.conv())),* } }
    }
)* } }

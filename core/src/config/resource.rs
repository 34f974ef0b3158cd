//! The resource every export carries: service.name, OTEL_RESOURCE_ATTRIBUTES,
//! telemetry.sdk.* and process.pid. Built anew in a forked child, whose pid differs.

use crate::config::Settings;
use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

/// The version of otelrs, as `telemetry.sdk.version` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn executable_name() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.file_name()?.to_string_lossy().into_owned())
}

/// The resource for `settings` in the current process.
pub(crate) fn build(settings: &Settings) -> Resource {
    let mut attrs: Vec<KeyValue> = settings
        .resource_attributes
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    let from_attributes = attrs.iter().any(|kv| kv.key.as_str() == "service.name");
    let service_name = match (&settings.service_name, from_attributes) {
        (Some(name), _) => Some(name.clone()),
        (None, true) => None,
        (None, false) => Some(match executable_name() {
            Some(exe) => format!("unknown_service:{exe}"),
            None => "unknown_service".to_owned(),
        }),
    };
    if let Some(name) = service_name {
        attrs.retain(|kv| kv.key.as_str() != "service.name");
        attrs.push(KeyValue::new("service.name", name));
    }
    attrs.push(KeyValue::new("telemetry.sdk.name", "otelrs"));
    attrs.push(KeyValue::new(
        "telemetry.sdk.language",
        settings.language.clone(),
    ));
    attrs.push(KeyValue::new("telemetry.sdk.version", VERSION));
    attrs.push(KeyValue::new("process.pid", i64::from(std::process::id())));
    Resource::builder_empty().with_attributes(attrs).build()
}

//! `system.network.*`: each interface's traffic from /proc/net/dev (with procfs), and the TCP
//! connections by state (through netlink, see `connections`).

use super::connections::tcp_states;
use super::{observe, signed, Registrar, Source};
use crate::base::error::Result;
use crate::metrics::{InstrumentKind as K, Number, NumberKind as N};
use opentelemetry::KeyValue;
use procfs::net::TcpState;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Registers the network metrics.
pub(crate) fn register(r: &mut Registrar<'_>) -> Result<()> {
    let source = Arc::new(Source::default());
    let read = move || {
        source
            .read("/proc/net/dev", procfs::net::dev_status())
            .map(|m| m.into_values().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    type Pick = fn(&procfs::net::DeviceStatus) -> (u64, u64);
    let counters: [(&str, &str, &str, &str, Pick); 4] = [
        (
            "system.network.io",
            "By",
            "Bytes received and sent by each network interface",
            "network.interface.name",
            |d| (d.recv_bytes, d.sent_bytes),
        ),
        (
            "system.network.packet.count",
            "{packet}",
            "Packets received and sent by each network interface",
            "system.device",
            |d| (d.recv_packets, d.sent_packets),
        ),
        (
            "system.network.errors",
            "{error}",
            "Errors receiving and sending on each network interface",
            "network.interface.name",
            |d| (d.recv_errs, d.sent_errs),
        ),
        (
            "system.network.packet.dropped",
            "{packet}",
            "Packets dropped without an error by each network interface",
            "network.interface.name",
            |d| (d.recv_drop, d.sent_drop),
        ),
    ];
    for (name, unit, description, key, pick) in counters {
        let read = read.clone();
        r.add(
            K::ObservableCounter,
            N::U64,
            name,
            unit,
            description,
            move |o| {
                for d in read() {
                    let (received, sent) = pick(&d);
                    for (dir, v) in [("receive", received), ("transmit", sent)] {
                        observe(
                            o,
                            Number::U64(v),
                            &[
                                KeyValue::new(key, d.name.clone()),
                                KeyValue::new("network.io.direction", dir),
                            ],
                        );
                    }
                }
            },
        )?;
    }
    let (v4, v6) = (Source::default(), Source::default());
    let netlink = AtomicBool::new(true);
    r.add(
        K::ObservableUpDownCounter,
        N::I64,
        "system.network.connection.count",
        "{connection}",
        "TCP connections (IPv4 and IPv6) by state",
        move |o| {
            // Netlink where it is allowed; /proc/net/tcp otherwise (for good after one refusal).
            let from_netlink = netlink
                .load(Ordering::Relaxed)
                .then(tcp_states)
                .and_then(|r| r.map_err(|_| netlink.store(false, Ordering::Relaxed)).ok());
            let states: Vec<TcpState> = match from_netlink {
                Some(numbers) => numbers.into_iter().filter_map(TcpState::from_u8).collect(),
                None => [
                    v4.read("/proc/net/tcp", procfs::net::tcp()),
                    v6.read("/proc/net/tcp6", procfs::net::tcp6()),
                ]
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.state)
                .collect(),
            };
            let mut by_state: BTreeMap<&'static str, u64> = BTreeMap::new();
            for state in &states {
                *by_state.entry(tcp_state(state)).or_default() += 1;
            }
            for (state, n) in by_state {
                observe(
                    o,
                    signed(n),
                    &[
                        KeyValue::new("network.transport", "tcp"),
                        KeyValue::new("network.connection.state", state),
                    ],
                );
            }
        },
    )
}

/// The `network.connection.state` value of a TCP state.
fn tcp_state(s: &TcpState) -> &'static str {
    use TcpState::*;
    match s {
        Established => "established",
        SynSent => "syn_sent",
        SynRecv | NewSynRecv => "syn_received",
        FinWait1 => "fin_wait_1",
        FinWait2 => "fin_wait_2",
        TimeWait => "time_wait",
        Close => "closed",
        CloseWait => "close_wait",
        LastAck => "last_ack",
        Listen => "listen",
        Closing => "closing",
    }
}

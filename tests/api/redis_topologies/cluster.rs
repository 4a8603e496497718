//! A three-master Redis Cluster for the topology tests: nodes with append-only files (so a
//! killed node comes back with its records), a 500 ms node timeout, the cluster-mode ACL of
//! docs/operations.md, and the slot migration steps that make a node answer `ASK` and `MOVED`.
use super::servers::{acl_log, acl_user, free_port, wait_until, Redis, TempDir};
use dpopd::config::Secret;
use dpopd::store::redis::RedisStore;
use dpopd::store::Namespace;
use std::collections::BTreeSet;
use std::time::Duration;

/// The slots of each node, in node order.
const RANGES: [(u16, u16); 3] = [(0, 5460), (5461, 10922), (10923, 16383)];

pub struct Cluster {
    _dir: TempDir,
    pub nodes: Vec<Redis>,
}

/// How far a slot migration has gone.
pub enum Step {
    /// The key was moved to the target while the slot is still the source's: `ASK`.
    KeysMoved,
    /// The slot is the target's on every node: `MOVED`.
    SlotAssigned,
}

impl Cluster {
    pub async fn start(password: &str) -> Cluster {
        let dir = TempDir::new("cluster");
        let buses: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let nodes: Vec<Redis> = (0..3)
            .map(|i| {
                let node_dir = dir.path().join(format!("node-{i}"));
                std::fs::create_dir_all(&node_dir).expect("node dir");
                let mut args: Vec<String> = [
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "500",
                    "--cluster-port",
                    &buses[i].to_string(),
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                ]
                .map(String::from)
                .to_vec();
                args.extend(acl_user("cluster", password));
                Redis::server(&node_dir, free_port(), &args)
            })
            .collect();
        for (node, (first, last)) in nodes.iter().zip(RANGES) {
            let _: () = redis::cmd("CLUSTER")
                .arg("ADDSLOTSRANGE")
                .arg(first)
                .arg(last)
                .query(&mut node.admin())
                .expect("ADDSLOTSRANGE");
        }
        for (node, bus) in nodes.iter().zip(&buses).skip(1) {
            // The bus port is not the default (port + 10000), so MEET names it.
            let _: () = redis::cmd("CLUSTER")
                .arg("MEET")
                .arg("127.0.0.1")
                .arg(node.port)
                .arg(bus)
                .query(&mut nodes[0].admin())
                .expect("MEET");
        }
        let cluster = Cluster { _dir: dir, nodes };
        cluster.wait_state("ok").await;
        cluster
    }

    pub fn urls(&self, password: &str) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://dpopd:{password}@127.0.0.1:{}", n.port))
            .collect()
    }

    /// The nodes' URLs without credentials: the default user, who may run every command.
    pub fn urls_of_default_user(&self) -> Vec<Secret> {
        self.nodes
            .iter()
            .map(|n| Secret::new(format!("redis://127.0.0.1:{}", n.port)))
            .collect()
    }

    /// Waits until every live node reports `cluster_state:<state>` and knows all three nodes.
    pub async fn wait_state(&self, state: &str) {
        let line = format!("cluster_state:{state}");
        for node in self.nodes.iter().filter(|n| n.alive()) {
            let mut admin = node.admin();
            wait_until(&line, Duration::from_secs(15), || {
                redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query::<String>(&mut admin)
                    .is_ok_and(|info| {
                        info.contains(&line) && info.contains("cluster_known_nodes:3")
                    })
            })
            .await;
        }
    }

    fn slot(&self, redis_key: &str) -> u16 {
        redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(redis_key)
            .query(&mut self.nodes[0].admin())
            .expect("KEYSLOT")
    }

    fn owner(slot: u16) -> usize {
        RANGES
            .iter()
            .position(|(first, last)| (*first..=*last).contains(&slot))
            .expect("every slot has a node")
    }

    /// The ports of the nodes that hold the records of `keys`.
    pub fn nodes_holding(
        &self,
        store: &RedisStore,
        ns: Namespace,
        keys: &[Vec<u8>],
    ) -> BTreeSet<u16> {
        keys.iter()
            .map(|k| self.nodes[Cluster::owner(self.slot(&store.redis_key(ns, k)))].port)
            .collect()
    }

    /// Moves the slot of `redis_key` from its node to the next one, as `redis-cli --cluster
    /// reshard` does, up to `step`.
    pub fn migrate(&self, redis_key: &str, step: Step) {
        let slot = self.slot(redis_key);
        let source = &self.nodes[Cluster::owner(slot)];
        let target = &self.nodes[(Cluster::owner(slot) + 1) % 3];
        let id = |node: &Redis| -> String {
            redis::cmd("CLUSTER")
                .arg("MYID")
                .query(&mut node.admin())
                .expect("MYID")
        };
        let setslot = |node: &Redis, how: &str, whose: &Redis| {
            let _: () = redis::cmd("CLUSTER")
                .arg("SETSLOT")
                .arg(slot)
                .arg(how)
                .arg(id(whose))
                .query(&mut node.admin())
                .expect("SETSLOT");
        };
        match step {
            Step::KeysMoved => {
                setslot(target, "IMPORTING", source);
                setslot(source, "MIGRATING", target);
                let _: () = redis::cmd("MIGRATE")
                    .arg("127.0.0.1")
                    .arg(target.port)
                    .arg(redis_key)
                    .arg(0)
                    .arg(5000)
                    .query(&mut source.admin())
                    .expect("MIGRATE");
            }
            Step::SlotAssigned => {
                for node in &self.nodes {
                    setslot(node, "NODE", target);
                }
            }
        }
    }

    pub fn assert_acl_log_empty(&self) {
        for node in self.nodes.iter().filter(|n| n.alive()) {
            assert_eq!(acl_log(node), vec![], "commands the ACL refused");
        }
    }
}

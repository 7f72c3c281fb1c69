//! The in-flight table shared by every transport: cookie → the waiting caller.
//!
//! Bounded; an entry is removed when its reply arrives, when its caller gives up (the
//! [`Registration`] guard is dropped: timeout or cancellation) and when the connection dies (one
//! cloneable error fanned out to every waiter). The lock is never held across an await.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use tokio::sync::oneshot;
use tracing::debug;

use crate::bencode::Dict;
use crate::error::{Error, Result};

type Waiter = oneshot::Sender<Result<Dict>>;

/// The table. Cheap to share (`Arc` inside).
#[derive(Clone)]
pub(crate) struct InFlight {
    inner: Arc<Inner>,
}

struct Inner {
    max: usize,
    pending: Mutex<Pending>,
    /// Set once when the transport fails for good; every later request gets it.
    dead: OnceLock<Error>,
}

#[derive(Default)]
struct Pending {
    entries: HashMap<Bytes, Entry>,
    /// Registrations so far, to re-send in the order the requests were made.
    registered: u64,
}

// The request bytes are only re-sent by TCP.
#[cfg_attr(not(feature = "tcp"), allow(dead_code))]
struct Entry {
    waiter: Waiter,
    /// The request bytes, for transports that re-send after a reconnect.
    message: Bytes,
    /// Registration order.
    seq: u64,
}

impl InFlight {
    pub(crate) fn new(max: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                max: max.max(1),
                pending: Mutex::new(Pending::default()),
                dead: OnceLock::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Single inserts and removes cannot leave the map inconsistent, so a poisoned lock is
        // still usable.
        self.inner.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests waiting right now.
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Registers `cookie`; the guard unregisters it when dropped.
    pub(crate) fn register(&self, cookie: Bytes, message: Bytes) -> Result<Registration> {
        if let Some(err) = self.inner.dead.get() {
            return Err(err.clone());
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = self.lock();
            if pending.entries.len() >= self.inner.max {
                return Err(Error::TooManyInFlight {
                    limit: self.inner.max,
                });
            }
            if pending.entries.contains_key(&cookie) {
                return Err(Error::InvalidRequest {
                    reason: "cookie already in flight".to_owned(),
                });
            }
            let seq = pending.registered;
            pending.registered += 1;
            pending.entries.insert(
                cookie.clone(),
                Entry {
                    waiter: tx,
                    message,
                    seq,
                },
            );
        }
        Ok(Registration {
            table: self.clone(),
            cookie,
            rx,
        })
    }

    /// Hands a reply to its waiter. Returns false when no request has this cookie (a late,
    /// duplicate or foreign reply).
    pub(crate) fn complete(&self, cookie: &[u8], reply: Dict) -> bool {
        match self.take(cookie) {
            Some(e) => {
                // The caller may have given up in the meantime; nothing to do then.
                let _ = e.waiter.send(Ok(reply));
                true
            }
            None => {
                debug!(
                    cookie = %cookie.escape_ascii(),
                    "dropping reply with unknown cookie (late, duplicate or foreign)"
                );
                false
            }
        }
    }

    /// Fails the request with `cookie` with `err`. Returns false when no request has it.
    pub(crate) fn fail(&self, cookie: &[u8], err: Error) -> bool {
        self.take(cookie)
            .map(|e| {
                let _ = e.waiter.send(Err(err));
            })
            .is_some()
    }

    /// Removes the entry of `cookie`.
    fn take(&self, cookie: &[u8]) -> Option<Entry> {
        self.lock().entries.remove(cookie)
    }

    /// Fails every waiting request with `err` (the table stays usable).
    pub(crate) fn fail_all(&self, err: &Error) {
        let entries: Vec<Entry> = self.lock().entries.drain().map(|(_, e)| e).collect();
        for e in entries {
            let _ = e.waiter.send(Err(err.clone()));
        }
    }

    /// Fails every waiting request and every later one with `err`.
    pub(crate) fn kill(&self, err: Error) {
        let _ = self.inner.dead.set(err.clone());
        self.fail_all(&err);
    }

    /// The request bytes of every waiting request whose caller is still there, in the order
    /// the requests were made (for a re-send after a reconnect: a stream server handles a
    /// connection's messages in order, so an `answer` must not overtake its `offer`).
    #[cfg(feature = "tcp")]
    pub(crate) fn messages(&self) -> Vec<Bytes> {
        let pending = self.lock();
        let mut waiting: Vec<&Entry> = pending
            .entries
            .values()
            .filter(|e| !e.waiter.is_closed())
            .collect();
        waiting.sort_unstable_by_key(|e| e.seq);
        waiting.iter().map(|e| e.message.clone()).collect()
    }
}

/// An entry of the table, removed when this is dropped.
pub(crate) struct Registration {
    table: InFlight,
    cookie: Bytes,
    pub(crate) rx: oneshot::Receiver<Result<Dict>>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.table.lock().entries.remove(&self.cookie);
    }
}

// The test reads `messages`, which only TCP uses.
#[cfg(all(test, feature = "tcp"))]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_the_registration_order_and_skip_abandoned_requests() {
        let table = InFlight::new(100);
        let mut regs: Vec<Registration> = (0..50)
            .map(|i| {
                let c = Bytes::from(format!("c{i}"));
                table.register(c.clone(), c).unwrap()
            })
            .collect();
        // A caller that gave up (its receiver is gone) is not re-sent; a dropped registration
        // is not in the table any more.
        regs[3].rx.close();
        regs.remove(7);
        let want: Vec<Bytes> = (0..50)
            .filter(|i| ![3, 7].contains(i))
            .map(|i| Bytes::from(format!("c{i}")))
            .collect();
        assert_eq!(table.messages(), want);
        assert_eq!(table.len(), 49);
        assert!(table.complete(b"c10", Dict::new()));
        assert!(!table.complete(b"c10", Dict::new()), "answered once");
        assert_eq!(table.messages().len(), 47);
    }
}

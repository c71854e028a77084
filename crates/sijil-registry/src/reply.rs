//! A one-shot reply from the sequencer, awaited either by blocking (CLI,
//! threads) or as a future (the web server, without tying up a thread).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};

struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
    closed: bool,
}

struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

/// The sending half: used once by the sequencer.
pub(crate) struct ReplySender<T>(Arc<Slot<T>>);

/// The receiving half: `wait()` blocks, or `.await` it.
pub(crate) struct ReplyReceiver<T>(Arc<Slot<T>>);

/// A new reply channel.
pub(crate) fn reply<T>() -> (ReplySender<T>, ReplyReceiver<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(State {
            value: None,
            waker: None,
            closed: false,
        }),
        ready: Condvar::new(),
    });
    (ReplySender(Arc::clone(&slot)), ReplyReceiver(slot))
}

impl<T> ReplySender<T> {
    /// Delivers the reply.
    pub(crate) fn send(self, value: T) {
        if let Ok(mut state) = self.0.state.lock() {
            state.value = Some(value);
        }
    }
}

impl<T> Drop for ReplySender<T> {
    /// Sent or not, the receiver is woken: without a value it learns that no
    /// reply will come.
    fn drop(&mut self) {
        let waker = match self.0.state.lock() {
            Ok(mut state) => {
                state.closed = true;
                state.waker.take()
            }
            Err(_) => None,
        };
        self.0.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> ReplyReceiver<T> {
    /// Blocks until the reply comes; `None` if it never will.
    pub(crate) fn wait(self) -> Option<T> {
        let mut state = self.0.state.lock().ok()?;
        loop {
            if let Some(value) = state.value.take() {
                return Some(value);
            }
            if state.closed {
                return None;
            }
            state = self.0.ready.wait(state).ok()?;
        }
    }
}

impl<T> Future for ReplyReceiver<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let Ok(mut state) = self.0.state.lock() else {
            return Poll::Ready(None);
        };
        if let Some(value) = state.value.take() {
            return Poll::Ready(Some(value));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_receiver_gets_the_value_or_learns_there_is_none() {
        let (tx, rx) = reply();
        std::thread::spawn(move || tx.send(42));
        assert_eq!(rx.wait(), Some(42));
        let (tx, rx) = reply::<u8>();
        drop(tx);
        assert_eq!(rx.wait(), None);
    }

    #[test]
    fn a_polled_receiver_is_woken_by_the_reply() {
        struct Flag(std::sync::atomic::AtomicBool);
        impl std::task::Wake for Flag {
            fn wake(self: Arc<Self>) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let flag = Arc::new(Flag(false.into()));
        let waker = Waker::from(Arc::clone(&flag));
        let mut cx = Context::from_waker(&waker);
        let (tx, mut rx) = reply();
        assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Pending);
        tx.send("done");
        assert!(flag.0.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(Pin::new(&mut rx).poll(&mut cx), Poll::Ready(Some("done")));
    }
}

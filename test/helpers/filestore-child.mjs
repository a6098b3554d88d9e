// The kill -9 test's child: stores messages into the file store at argv[2] in batches of 500,
// one batch per loop turn, removing every 7th sequence in the same turn; after each turn's write
// it prints the last sequence written (the parent kills it with SIGKILL at some point and checks
// every printed sequence, and every removal, after a restart). Uses dist/.
import { FileStore } from '../../dist/jetstream/store/file.js';

const store = await FileStore.open(process.argv[2], { blockSize: 256 * 1024, log: () => {} });
store.setLimits({ maxMsgs: -1, maxBytes: -1, maxAgeMs: 0, maxMsgsPer: -1, maxMsgSize: -1, discard: 'old', discardNewPer: false });
const empty = Buffer.alloc(0);
function turn() {
  let seq = 0;
  for (let i = 0; i < 500; i++) {
    seq = store.store(`kill.${i % 10}`, empty, Buffer.from(`m${store.state().lastSeq + 1}`), Date.now());
    if (seq % 7 === 0) store.remove(seq, false);
  }
  // The store's write is a microtask queued by the first store of the turn: it has run by now.
  queueMicrotask(() => {
    process.stdout.write(`${seq}\n`);
    setImmediate(turn);
  });
}
turn();

import { releaseProxy, type Remote } from 'comlink';

/**
 * An export's text chunks as a stream of UTF-8 bytes, pulled as the reader reads (a download, a file being
 * written): the journal is read no faster than the bytes are taken, so the history is never held whole.
 */
export function byteStream(chunks: AsyncGenerator<string, void, undefined>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      },
      async cancel() {
        await chunks.return();
      },
    },
    // A few pages ahead of the reader, no more.
    { highWaterMark: 4 },
  );
}

/** A file's text, decoded as UTF-8 in chunks as it is read: what `importJournal` reads, once per pass. */
export async function* textOf(file: Blob): AsyncGenerator<string, void, undefined> {
  const reader = file.stream().pipeThrough(new TextDecoderStream('utf-8', { fatal: true })).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * A progress callback from the page as the worker calls it: without waiting for the page, never throwing (a page
 * gone away cannot hear), and released once the work is done.
 */
export function progressTo<P>(remote: ((progress: P) => unknown) | undefined): { tell: (progress: P) => void; release: () => void } {
  return {
    tell: (progress) => {
      if (!remote) return;
      try {
        void Promise.resolve(remote(progress)).catch(() => {});
      } catch {
        // The page released the proxy.
      }
    },
    // A Comlink proxy holds a port open until released; a plain function (a same-thread endpoint) has nothing to free.
    release: () => (remote as Partial<Remote<unknown>> | undefined)?.[releaseProxy]?.(),
  };
}

// A journal's existence, noted outside IndexedDB: Chromium deletes an origin's whole IndexedDB when it finds it
// corrupt (as a crash in the middle of a write can leave it), and the app would otherwise see an empty journal as a
// new one. The note is a file in the origin private file system, which that deletion does not touch.

const markerOf = (name: string) => `eventfold-journal-${encodeURIComponent(name)}`;

async function root(): Promise<FileSystemDirectoryHandle | undefined> {
  try {
    return await navigator.storage?.getDirectory?.();
  } catch {
    // No origin private file system here (an old browser, a sandboxed frame): no note, no detection.
    return undefined;
  }
}

/** Whether this origin noted that it had the journal `name`. */
export async function hadJournal(name: string): Promise<boolean> {
  const directory = await root();
  if (!directory) return false;
  try {
    await directory.getFileHandle(markerOf(name));
    return true;
  } catch {
    return false;
  }
}

/** Notes that this origin has the journal `name`. */
export async function markJournal(name: string): Promise<void> {
  await (await root())?.getFileHandle(markerOf(name), { create: true }).catch(() => undefined);
}

/** Forgets the note, when the journal is deleted on purpose. */
export async function unmarkJournal(name: string): Promise<void> {
  await (await root())?.removeEntry(markerOf(name)).catch(() => undefined);
}

import { isEventfoldError, type TransferProgress } from 'eventfold';
import { useRef, useState } from 'react';
import { type Bank, journalId } from '../bank/connection.ts';
import { formatAmount } from '../format.ts';

type Work = { kind: 'export' | 'import'; progress?: TransferProgress };

/**
 * The bank's whole history as a file: Export downloads it in eventfold's export format (NDJSON), Import loads one
 * into this device's bank when it is empty. A bank that syncs has its history on the server, and imports nothing.
 */
export function JournalFiles({ bank }: { bank: Bank }) {
  const [work, setWork] = useState<Work>();
  const [message, setMessage] = useState<{ text: string; problem: boolean }>();
  const picker = useRef<HTMLInputElement>(null);
  const syncs = journalId !== undefined;

  const run = async (kind: Work['kind'], task: (onProgress: (progress: TransferProgress) => void) => Promise<string>) => {
    setMessage(undefined);
    setWork({ kind });
    try {
      setMessage({ text: await task((progress) => setWork({ kind, progress })), problem: false });
    } catch (error) {
      setMessage({ text: isEventfoldError(error, 'invalid-import') ? error.message : String(error), problem: true });
    } finally {
      setWork(undefined);
    }
  };

  const download = () =>
    run('export', async (onProgress) => {
      const stream = await bank.exportJournal({ onProgress });
      const file = await new Response(stream).blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(file);
      link.download = `eventfold-bank-${new Date().toISOString().slice(0, 10)}.ndjson`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      return `Exported ${formatAmount(Math.round(file.size / 1_000))} kB`;
    });

  const upload = (file: File) =>
    run('import', async (onProgress) => {
      const { events, streams } = await bank.importJournal(file, { onProgress });
      return `Imported ${formatAmount(events)} events of ${formatAmount(streams)} ${streams === 1 ? 'account' : 'accounts'}`;
    });

  return (
    <div className="journal-files">
      <button type="button" className="secondary" onClick={download} disabled={work !== undefined}>
        Export
      </button>
      <button
        type="button"
        className="secondary"
        onClick={() => picker.current?.click()}
        disabled={work !== undefined || syncs}
        title={syncs ? 'A synced bank keeps its history on the server: open ?local to import into this device' : undefined}
      >
        Import
      </button>
      <input
        ref={picker}
        type="file"
        accept=".ndjson,application/x-ndjson"
        hidden
        aria-label="Journal file to import"
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = '';
          if (file) void upload(file);
        }}
      />
      {work && (
        <span className="muted" role="status" aria-label="Transfer">
          {work.kind === 'export' ? 'Exporting' : 'Importing'}
          {work.progress ? ` ${formatAmount(work.progress.events)} of ${formatAmount(work.progress.total)} events` : '…'}
        </span>
      )}
      {message && (
        <p role={message.problem ? 'alert' : 'status'} className={message.problem ? 'problem' : 'muted'}>
          {message.text}
        </p>
      )}
    </div>
  );
}

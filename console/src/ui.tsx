/** Small shared pieces: the status message, a loading/error frame, a confirmation dialog. */
import { useEffect, useRef, type ReactNode } from 'react';
import type { Loaded } from './hooks.js';

export function Message({ message }: { message: { ok: boolean; text: string } | null }) {
  if (!message) return null;
  return (
    <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'msg ok' : 'msg bad'}>
      {message.text}
    </p>
  );
}

export function Frame<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.error && !loaded.data)
    return (
      <p role="alert" className="msg bad">
        {loaded.error}
      </p>
    );
  if (!loaded.data) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      {loaded.error ? (
        <p role="alert" className="msg bad">
          {loaded.error}
        </p>
      ) : null}
      {children(loaded.data)}
    </>
  );
}

export function Confirm({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      {children}
      <div className="row">
        <button type="button" className="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

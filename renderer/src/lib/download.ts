/**
 * Saving a file the backend made on the user's machine: the page may run in
 * a browser on another computer than the backend, so the file's text comes
 * in the answer and the browser downloads it (a Blob behind an <a download>).
 */

/** "name (12.3 KiB)": what the page says it downloaded. */
export function describeDownload(fileName: string, bytes: number): string {
  return `${fileName} (${(bytes / 1024).toFixed(1)} KiB)`;
}

/** Starts the browser's download of `text` as `fileName` (Electron shows its save dialog for the same link). */
export function downloadText(fileName: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${mime};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked after the click has handed the Blob to the download (revoking at once can cancel it in some browsers).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Save text as a file from the renderer: a Blob behind a temporary object URL and an
 * <a download> click. Works the same in a browser and in Electron (which shows its save
 * dialog), with no file-system access in the renderer.
 */
export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next task: the click has handed the URL to the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

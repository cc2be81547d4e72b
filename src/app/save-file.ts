// Files the page hands to the user: a download of a Blob under a name.

export function saveBlob(data: Blob, fileName: string): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // the browser has read the URL once the click is handled; a delay spares slow downloads
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** bytes or text the worker made, as a download (octet-stream unless `type` says what it is) */
export function saveBytes(data: Uint8Array | string, fileName: string, type = 'application/octet-stream'): void {
  saveBlob(new Blob([data as Uint8Array<ArrayBuffer> | string], { type }), fileName);
}

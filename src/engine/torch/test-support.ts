// Test helper: a Blob that counts the bytes fetched through slice(), to check that readers are lazy.
export class CountingBlob extends Blob {
  read = 0;
  override slice(start?: number, end?: number, contentType?: string): Blob {
    const s = super.slice(start, end, contentType);
    this.read += s.size;
    return s;
  }
}

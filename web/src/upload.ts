/**
 * PUTs a file to its signed upload URL with XMLHttpRequest: unlike fetch, it reports upload progress.
 */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** CloudFront and S3 answer failures with XML `<Error><Code/><Message/></Error>`. */
function uploadFailure(xhr: XMLHttpRequest): UploadError {
  const code = /<Code>([^<]*)<\/Code>/.exec(xhr.responseText)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText)?.[1];
  const detail = [code, message].filter(Boolean).join(': ');
  return new UploadError(
    xhr.status,
    `The upload was refused (HTTP ${xhr.status}${detail ? `, ${detail}` : ''}).`,
  );
}

export function putFile(
  url: string,
  file: Blob,
  onProgress: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    if (file.type) xhr.setRequestHeader('Content-Type', file.type);
    xhr.upload.onprogress = (event) =>
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else reject(uploadFailure(xhr));
    };
    xhr.onerror = () => reject(new UploadError(0, 'The upload failed: the connection was lost.'));
    xhr.onabort = () => reject(new UploadError(0, 'The upload was cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

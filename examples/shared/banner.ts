/**
 * What every example prints once listening: where, on which database, and the curls to try.
 */

/**
 * @param framework - shown in the first line
 * @param base - `http://127.0.0.1:<port>`
 * @param password - the seeded user's password
 * @param file - the SQLite file
 * @returns the text to print
 */
export function banner(framework: string, base: string, password: string, file: string): string {
  const login = `-d '{"username": "demo", "password": "${password}"}'`;
  return `portcullis ${framework} example listening on ${base}
database: ${file} (DATABASE=<file> to keep one)

Try:
  curl -i ${base}/api/public/
  curl -i ${base}/api/me/
  curl -i -u demo:${password} ${base}/api/me/

DRF's token:
  curl -s -X POST -H 'Content-Type: application/json' ${login} ${base}/api-token-auth/
  curl -i -H "Authorization: Token <token>" ${base}/api/me/

JWTs:
  curl -s -X POST -H 'Content-Type: application/json' ${login} ${base}/api/token/
  curl -i -H "Authorization: Bearer <access>" ${base}/api/me/
  curl -s -X POST -H 'Content-Type: application/json' -d '{"refresh": "<refresh>"}' ${base}/api/token/refresh/

A session (Django's CSRF):
  curl -s -c jar -b jar ${base}/api/session/csrf/
  curl -s -c jar -b jar -X POST -H 'Content-Type: application/json' \\
       -H "X-CSRFToken: $(awk '/csrftoken/ {print $7}' jar)" ${login} ${base}/api/session/login/
  curl -s -b jar ${base}/api/me/

Stop with Ctrl+C.`;
}

/**
 * The demo's login page: a form that logs in through the session endpoints, with the CSRF token read
 * from the `csrftoken` cookie and sent back as `X-CSRFToken`, as Django's docs show for AJAX.
 */
export const LOGIN_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>portcullis demo: log in</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
    label, input, button { display: block; margin: 0.25rem 0; }
    input { width: 100%; padding: 0.3rem; }
    #status, #ping-result { margin-top: 1rem; font-family: ui-monospace, monospace; }
  </style>
</head>
<body>
  <h1>portcullis demo</h1>
  <form id="login-form">
    <label for="username">Username</label>
    <input id="username" name="username" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password">
    <button id="login-button" type="submit">Log in</button>
  </form>
  <p>
    <button id="ping" type="button">POST /api/ping/</button>
    <button id="logout" type="button">Log out</button>
  </p>
  <div id="status">Not logged in</div>
  <pre id="ping-result"></pre>
  <script>
    const status = document.getElementById("status");
    const csrfToken = () => (document.cookie.match(/(?:^|;\\s*)csrftoken=([A-Za-z0-9]+)/) || [])[1] || "";
    const post = (url, body) =>
      fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body || {}),
      });

    // /api/ping/ puts the session first: anonymous, it answers 403 without a Basic challenge, so the
    // browser shows no sign-in dialog.
    fetch("/api/session/csrf/").then(() =>
      fetch("/api/ping/").then(async (response) => {
        if (response.ok) status.textContent = "Logged in as " + (await response.json()).username;
      }),
    );

    document.getElementById("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await post("/api/session/login/", {
        username: document.getElementById("username").value,
        password: document.getElementById("password").value,
      });
      const body = await response.json();
      status.textContent = response.ok
        ? "Logged in as " + body.username
        : body.detail || (body.non_field_errors || []).join(" ") || "Login failed (" + response.status + ")";
    });

    document.getElementById("ping").addEventListener("click", async () => {
      const response = await post("/api/ping/");
      document.getElementById("ping-result").textContent = response.status + " " + (await response.text());
    });

    document.getElementById("logout").addEventListener("click", async () => {
      const response = await post("/api/session/logout/");
      status.textContent = response.status === 204 ? "Logged out" : "Logout failed (" + response.status + ")";
    });
  </script>
</body>
</html>
`;

"""A real SMTP server for the tests (aiosmtpd), and an independent reader of what it got.

    python smtp_sink.py serve PORT DIR [CERT KEY USER PASSWORD]
        # accepts mail on 127.0.0.1:PORT, one file per message; with a certificate, STARTTLS
        # is required and so is AUTH as USER with PASSWORD (logins go to DIR/auth.log)
    python smtp_sink.py read DIR         # prints the messages as JSON, decoded by Python's email

Each message is kept as DIR/N.eml with its envelope recipients in DIR/N.rcpt. A recipient
whose address starts with `bounce` is refused (550, quoting the address), as a mail server
refuses an unknown user.
"""
import asyncio
import email
import email.policy
import json
import os
import sys


def serve(port, folder, tls=None):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Keep:
        count = 0

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("bounce"):
                return f"550 5.1.1 <{address}>: user unknown"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            Keep.count += 1
            base = os.path.join(folder, str(Keep.count))
            with open(base + ".rcpt", "w") as f:
                f.write("\n".join(envelope.rcpt_tos))
            with open(base + ".tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(base + ".tmp", base + ".eml")
            return "250 OK"

    options = {}
    if tls:
        import ssl

        cert, key, user, password = tls
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            with open(os.path.join(folder, "auth.log"), "a") as f:
                f.write(f"{mechanism} {auth_data.login.decode()} {'ok' if ok else 'refused'}\n")
            return AuthResult(success=ok)

        options = dict(tls_context=context, require_starttls=True, authenticator=authenticator,
                       auth_require_tls=True)
    controller = Controller(Keep(), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    finally:
        controller.stop()


def read(folder):
    out = []
    names = sorted((n for n in os.listdir(folder) if n.endswith(".eml")), key=lambda n: int(n[:-4]))
    for name in names:
        base = os.path.join(folder, name[:-4])
        with open(base + ".eml", "rb") as f:
            raw = f.read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with open(base + ".rcpt") as f:
            rcpt = f.read().split("\n")
        body = msg.get_body(preferencelist=("plain",))
        out.append({
            "rcpt": rcpt,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            # The header block as sent: non-ASCII must be encoded (RFC 2047), never raw.
            "headers": raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii", "replace"),
            "message_id": str(msg["Message-ID"]),
            "content_type": msg.get_content_type(),
            "charset": body.get_content_charset(),
            "body": body.get_content(),
        })
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3], sys.argv[4:8] if len(sys.argv) > 4 else None)
    else:
        read(sys.argv[2])

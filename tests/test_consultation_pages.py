"""The project leader's consultation pages: register, edit (a stale save refused), documents
and the protocol, each refusal shown on the page with what was typed."""

from __future__ import annotations

import re

from tests.consultation_support import ids
from tests.support import post_form


async def test_registering_a_consultation_lists_every_error_and_keeps_what_was_typed(client):
    known = await ids(client)
    form = {
        "matter": "",
        "kind": "consultation",
        "municipality_id": str(known["Rollag"]),
        "union_ids": [str(known["Fagforbundet"])],
        "employer_participants": "Rådmann Per Li",
        "documents": "Notat | ikke-en-adresse",
    }
    refused = await post_form(client, "/admin/consultations/new", form)
    assert refused.status_code == 422
    summary = refused.text.split('class="ds-error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#matter"' in summary
    assert "Linje 1:" in summary  # the document line too, at once
    assert "Rådmann Per Li" in refused.text
    assert (await client.get("/api/consultations")).json() == []

    form |= {"matter": "Nye lønnsrutiner", "documents": "Notat | https://example.no/n.pdf"}
    made = await post_form(client, "/admin/consultations/new", form, follow_redirects=False)
    assert made.status_code == 303
    page = await client.get(made.headers["location"])
    assert "Drøftingen er lagret." in page.text
    assert "Nye lønnsrutiner" in page.text
    assert "ikke sendt ennå" in page.text
    (read,) = (await client.get("/api/consultations")).json()
    assert (read["level"], read["unions"][0]["union"]["name"]) == ("Rollag", "Fagforbundet")


async def test_documents_and_protocol_through_the_page_and_a_stale_edit_refused(client):
    known = await ids(client)
    form = {"matter": "Arkiv", "kind": "information", "union_ids": [str(known["Fagforbundet"])]}
    made = await post_form(client, "/admin/consultations/new", form, follow_redirects=False)
    consultation_id = int(made.headers["location"].split("/")[2].split("?")[0])
    base = f"/admin/consultations/{consultation_id}"

    edit = (await client.get(f"{base}/edit")).text
    version = re.search(r'name="version" value="([^"]+)"', edit)
    assert version
    fields = {"matter": "Arkiv", "kind": "information", "version": version.group(1)}
    fields["union_ids"] = [str(known["Fagforbundet"])]
    fields[f"position_{known['Fagforbundet']}"] = "Støtter innføringen."
    saved = await post_form(client, f"{base}/edit", fields, follow_redirects=False)
    assert saved.status_code == 303
    stale = await post_form(client, f"{base}/edit", fields | {"matter": "Arkivet"})
    assert stale.status_code == 409
    assert "Noen andre har lagret drøftingen" in stale.text
    assert 'value="Arkivet"' in stale.text

    await post_form(client, f"{base}/documents", {"title": "Notat", "url": "https://e.no/n"})
    sent = await post_form(client, f"{base}/documents/send", {})
    assert "Dokumentene er sendt til de tillitsvalgte." in sent.text
    again = await post_form(client, f"{base}/documents/send", {})
    assert again.status_code == 409
    assert "allerede sendt" in again.text

    await post_form(client, f"{base}/protocol", {"text": "Utkast."})
    await post_form(client, f"{base}/protocol/send", {})
    page = (await client.get(f"/droftinger/{consultation_id}")).text
    assert "Versjon 1: sendt til tillitsvalgte" in page
    assert "Lagre som ny versjon" in page
    corrected = await post_form(
        client, f"{base}/protocol", {"text": "Rettet.", "correction": "true"}
    )
    assert "Versjon 2: utkast" in corrected.text
    assert "Versjon 1: sendt til tillitsvalgte" in corrected.text
    read = (await client.get(f"/api/consultations/{consultation_id}")).json()
    assert read["unions"][0]["position"] == "Støtter innføringen."
    assert [p["text"] for p in read["protocols"]] == ["Utkast.", "Rettet."]

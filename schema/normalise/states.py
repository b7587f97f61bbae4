"""Postcode -> Bundesland, from a range table of the Deutsche Post's postcode regions.

German postcodes follow delivery regions, not state borders: "21039" is Hamburg-Neuengamme
and Börnsen (Schleswig-Holstein), "07919" is Kirschkau (Thüringen) and Mühltroff (Sachsen),
"59969" is Hallenberg (Nordrhein-Westfalen) and Bromskirchen (Hessen). So the table holds
explicit ranges, down to single postcodes near the borders; a postcode that is shared by two
states, or that falls in no range, gives None — a wrong state is worse than none.
The ranges were compiled by hand from the Leitregionen and the places of each border postcode;
a gap between ranges is deliberate where the places were not known well enough.
"""

from bisect import bisect_right
from difflib import SequenceMatcher

BW = "Baden-Württemberg"
BY = "Bayern"
BE = "Berlin"
BB = "Brandenburg"
HB = "Bremen"
HH = "Hamburg"
HE = "Hessen"
MV = "Mecklenburg-Vorpommern"
NI = "Niedersachsen"
NW = "Nordrhein-Westfalen"
RP = "Rheinland-Pfalz"
SL = "Saarland"
SN = "Sachsen"
ST = "Sachsen-Anhalt"
SH = "Schleswig-Holstein"
TH = "Thüringen"
#: A postcode shared by places in two states (or outside Germany): no state.
SHARED = None

# --- the table ---------------------------------------------------------------------------
#: (first, last, state) in ascending order, not overlapping; `SHARED` marks a known
#: ambiguity (kept in the table so that it is documented, not merely missing).
RANGES: tuple[tuple[str, str, str | None], ...] = (
    # 0: Sachsen, Brandenburg, Sachsen-Anhalt, Thüringen
    ("01001", "01936", SN),  # Dresden, Meißen, Pirna, Kamenz, Königsbrück
    ("01937", "01998", BB),  # Ruhland, Senftenberg, Lauchhammer, Schwarzheide, Ortrand
    ("02000", "02999", SN),  # Bautzen, Görlitz, Zittau, Hoyerswerda, Weißwasser
    ("03000", "03999", BB),  # Cottbus, Forst, Guben, Spremberg, Finsterwalde
    ("04000", "04579", SN),  # Leipzig, Delitzsch, Markranstädt, Borna
    ("04600", "04639", TH),  # Altenburg, Meuselwitz, Schmölln, Gößnitz
    ("04640", "04889", SN),  # Geithain, Grimma, Döbeln, Oschatz, Wurzen, Eilenburg, Torgau
    ("04890", "04999", BB),  # Falkenberg/Elster, Elsterwerda, Herzberg, Bad Liebenwerda
    ("06000", "06549", ST),  # Halle, Merseburg, Eisleben, Bernburg, Quedlinburg, Sangerhausen
    ("06550", "06579", TH),  # Artern, Bad Frankenhausen, Roßleben, Heldrungen
    ("06580", "06999", ST),  # Naumburg, Weißenfels, Zeitz, Bitterfeld, Dessau, Wittenberg
    ("07000", "07899", TH),  # Gera, Jena, Saalfeld, Rudolstadt, Pößneck, Neustadt/Orla
    ("07907", "07907", TH),  # Schleiz
    ("07919", "07919", SHARED),  # Kirschkau (TH) and Mühltroff (SN)
    ("07922", "07929", TH),  # Tanna, Ziegenrück, Gefell, Hirschberg, Saalburg
    ("07937", "07937", TH),  # Zeulenroda
    ("07950", "07950", TH),  # Triebes
    ("07952", "07952", SN),  # Pausa
    ("07955", "07958", TH),  # Auma, Langenwetzendorf, Hohenleuben
    ("07973", "07973", TH),  # Greiz
    ("07980", "07980", TH),  # Berga/Elster
    ("07985", "07985", SN),  # Elsterberg
    ("07987", "07987", TH),  # Mohlsdorf
    ("08000", "09999", SN),  # Zwickau, Plauen, Aue, Chemnitz, Freiberg, Annaberg
    # 1: Berlin, Brandenburg, Mecklenburg-Vorpommern
    ("10000", "12528", BE),
    ("12529", "12529", SHARED),  # Schönefeld (BB); also listed for Berlin places
    ("12530", "13999", BE),
    ("14000", "14199", BE),  # Charlottenburg, Zehlendorf, Wannsee, Dahlem
    ("14400", "14714", BB),  # Potsdam, Teltow, Falkensee, Nauen, Rathenow
    ("14715", "14715", SHARED),  # Milower Land (BB) and Schollene, Havelaue (ST)
    ("14716", "14727", BB),  # Premnitz
    ("14728", "14728", SHARED),  # Rhinow (BB) and parts of Havelaue (ST)
    ("14729", "14999", BB),  # Brandenburg an der Havel, Belzig, Luckenwalde
    ("15000", "16999", BB),  # Frankfurt (Oder), Strausberg, Eberswalde, Oranienburg, Wittstock
    ("17000", "17258", MV),  # Neubrandenburg, Demmin, Waren, Neustrelitz, Feldberg
    ("17261", "17299", BB),  # Templin, Lychen, Prenzlau
    ("17300", "17325", MV),  # Pasewalk, Löcknitz
    ("17326", "17326", BB),  # Brüssow
    ("17327", "17335", MV),  # Penkun, Strasburg (Uckermark)
    ("17337", "17337", BB),  # Uckerland
    ("17338", "18999", MV),  # Woldegk, Anklam, Usedom, Greifswald, Rostock, Stralsund
    ("19000", "19272", MV),  # Schwerin, Gadebusch, Hagenow, Boizenburg
    ("19273", "19273", SHARED),  # Amt Neuhaus (NI) and Brahlstorf (MV)
    ("19274", "19308", MV),  # Ludwigslust, Grabow, Dömitz, Neustadt-Glewe
    ("19309", "19357", BB),  # Lenzen, Wittenberge, Bad Wilsnack, Perleberg, Karstädt
    ("19358", "19999", MV),  # Parchim, Lübz, Plau am See, Sternberg
    # 2: Hamburg, Schleswig-Holstein, Niedersachsen, Bremen
    ("20000", "21038", HH),
    ("21039", "21039", SHARED),  # Hamburg-Neuengamme (HH) and Börnsen, Escheburg (SH)
    ("21040", "21149", HH),  # Bergedorf, Harburg, Wilhelmsburg, Finkenwerder, Neugraben
    ("21150", "21449", NI),  # Seevetal, Buchholz, Lüneburg, Winsen (Luhe)
    ("21450", "21521", SH),  # Reinbek, Lauenburg, Schwarzenbek, Geesthacht, Glinde, Aumühle
    ("21522", "21522", SHARED),  # Hohnstorf (Elbe) (NI) next to Lauenburg (SH)
    ("21523", "21599", SH),  # Brunstorf, Hohenhorn, Kröppelshagen
    ("21600", "21999", NI),  # Buxtehude, Jork, Stade, Hemmoor, Otterndorf
    ("22000", "22112", HH),
    ("22113", "22113", SHARED),  # Hamburg-Billbrook (HH) and Oststeinbek (SH)
    ("22114", "22144", HH),
    ("22145", "22145", SHARED),  # Hamburg-Rahlstedt (HH) and Stapelfeld, Braak (SH)
    ("22146", "22799", HH),
    ("22800", "22999", SH),  # Norderstedt, Schenefeld, Wedel, Ahrensburg, Bargteheide
    ("23000", "23919", SH),  # Lübeck, Eutin, Bad Segeberg, Bad Oldesloe, Mölln, Ratzeburg
    ("23920", "23999", MV),  # Schönberg, Grevesmühlen, Wismar, Poel
    ("24000", "25999", SH),  # Kiel, Flensburg, Elmshorn, Pinneberg, Itzehoe, Husum, Sylt
    ("26000", "27497", NI),  # Oldenburg, Wilhelmshaven, Emden, Verden, Cuxhaven
    ("27498", "27498", SH),  # Helgoland
    ("27499", "27499", HH),  # Neuwerk
    ("27500", "27567", NI),
    ("27568", "27580", HB),  # Bremerhaven
    ("27581", "27999", NI),  # Geestland, Loxstedt, Osterholz-Scharmbeck, Delmenhorst
    ("28000", "28779", HB),  # Bremen
    ("28780", "29409", NI),  # Schwanewede, Stuhr, Achim, Syke, Celle, Wittingen
    ("29410", "29416", ST),  # Salzwedel, Diesdorf, Kuhfelde
    ("29417", "29999", NI),  # Lüchow, Dannenberg, Uelzen, Soltau
    # 3: Niedersachsen, Nordrhein-Westfalen, Hessen, Thüringen, Sachsen-Anhalt
    ("30000", "31999", NI),  # Hannover, Hildesheim, Nienburg, Hameln, Bad Pyrmont
    ("32000", "33999", NW),  # Herford, Minden, Detmold, Bielefeld, Paderborn
    ("34000", "34345", HE),  # Kassel, Baunatal, Vellmar, Kaufungen
    ("34346", "34346", NI),  # Hann. Münden
    ("34359", "34413", HE),  # Reinhardshagen, Hofgeismar, Bad Karlshafen, Trendelburg
    ("34414", "34439", NW),  # Warburg, Marsberg, Borgentreich, Willebadessen
    ("34440", "36399", HE),  # Bad Arolsen, Korbach, Marburg, Gießen, Wetzlar, Fulda
    ("36400", "36469", TH),  # Vacha, Geisa, Bad Salzungen, Dermbach
    ("37000", "37199", NI),  # Göttingen, Duderstadt, Northeim, Uslar
    ("37200", "37299", HE),  # Witzenhausen, Bad Sooden-Allendorf, Eschwege
    ("37300", "37359", TH),  # Heilbad Heiligenstadt, Leinefelde-Worbis, Dingelstädt
    ("37400", "37449", NI),  # Herzberg am Harz, Bad Lauterberg, Bad Sachsa, Walkenried
    ("37500", "37649", NI),  # Osterode, Einbeck, Bad Gandersheim, Holzminden
    ("37671", "37671", NW),  # Höxter
    ("37688", "37688", NW),  # Beverungen
    ("37691", "37691", NI),  # Boffzen
    ("37696", "37696", NW),  # Marienmünster
    ("37697", "37697", NI),  # Lauenförde
    ("37699", "37699", NI),  # Fürstenberg
    ("38000", "38485", NI),  # Braunschweig, Salzgitter, Wolfenbüttel, Helmstedt, Wolfsburg
    ("38486", "38489", ST),  # Klötze, Beetzendorf
    ("38490", "38799", NI),  # Gifhorn, Goslar, Bad Harzburg, Clausthal-Zellerfeld, Seesen
    ("38800", "39999", ST),  # Halberstadt, Wernigerode, Magdeburg, Stendal
    # 4: Nordrhein-Westfalen, Niedersachsen
    ("40000", "48432", NW),  # Düsseldorf ... Duisburg, Münster, Rheine
    ("48455", "48455", NI),  # Bad Bentheim
    ("48465", "48465", NI),  # Schüttorf
    ("48477", "48477", NW),  # Hörstel
    ("48480", "48480", NI),  # Spelle, Lünne, Schapen
    ("48485", "48485", NW),  # Neuenkirchen
    ("48488", "48488", NI),  # Emsbüren
    ("48493", "48493", NW),  # Wettringen
    ("48496", "48496", NW),  # Hopsten
    ("48499", "48499", NI),  # Salzbergen
    ("48527", "48531", NI),  # Nordhorn
    ("48540", "48999", NW),  # Steinfurt, Gronau, Coesfeld, Ahaus, Borken
    ("49000", "49459", NI),  # Osnabrück, Melle, Diepholz, Vechta
    ("49477", "49549", NW),  # Ibbenbüren, Mettingen, Lotte, Lengerich, Tecklenburg
    ("49550", "49999", NI),  # Bramsche, Quakenbrück, Cloppenburg, Meppen, Lingen
    # 5: Nordrhein-Westfalen, Rheinland-Pfalz, Hessen
    ("50000", "51597", NW),  # Köln, Leverkusen, Bergisch Gladbach, Gummersbach, Morsbach
    ("51598", "51598", RP),  # Friesenhagen
    ("51599", "53359", NW),  # Aachen, Düren, Bonn, Bornheim, Rheinbach
    ("53401", "53579", RP),  # Remagen, Bad Neuenahr-Ahrweiler, Sinzig, Linz, Unkel
    ("53580", "53618", NW),  # Bad Honnef
    ("53619", "53619", RP),  # Rheinbreitbach
    ("53620", "53999", NW),  # Königswinter, Siegburg, Euskirchen, Schleiden
    ("54000", "56999", RP),  # Trier, Bitburg, Mainz, Bad Kreuznach, Koblenz, Westerwald
    ("57000", "57499", NW),  # Siegen, Bad Berleburg, Lennestadt, Olpe
    ("57500", "57999", RP),  # Betzdorf, Wissen, Kirchen, Altenkirchen
    ("58000", "59968", NW),  # Hagen, Iserlohn, Hamm, Soest, Arnsberg, Winterberg
    ("59969", "59969", SHARED),  # Hallenberg (NW) and Bromskirchen (HE)
    # 6: Hessen, Bayern, Rheinland-Pfalz, Saarland, Baden-Württemberg
    ("60000", "63699", HE),  # Frankfurt, Bad Homburg, Offenbach, Hanau, Gelnhausen, Büdingen
    ("63700", "63999", BY),  # Aschaffenburg, Alzenau, Miltenberg
    ("64000", "65556", HE),  # Darmstadt, Wiesbaden, Rüsselsheim, Idstein, Limburg
    ("65582", "65582", RP),  # Diez
    ("65589", "65620", HE),  # Hadamar, Runkel, Elz, Villmar, Selters, Waldbrunn
    ("65623", "65626", RP),  # Hahnstätten, Altendiez, Birlenbach
    ("65627", "65627", HE),  # Elbtal
    ("65629", "65629", RP),  # Niederneisen
    ("65700", "65999", HE),  # Hofheim, Eschborn, Kelkheim, Frankfurt-Höchst
    ("66000", "66481", SL),  # Saarbrücken, Völklingen, St. Ingbert, Homburg, Blieskastel
    ("66482", "66509", RP),  # Zweibrücken, Contwig, Hornbach
    ("66510", "66848", SL),  # Neunkirchen, St. Wendel, Merzig, Saarlouis, Lebach
    ("66849", "67999", RP),  # Landstuhl, Kusel, Pirmasens, Ludwigshafen, Kaiserslautern, Worms
    ("68000", "68518", BW),  # Mannheim
    ("68519", "68519", HE),  # Viernheim
    ("68520", "68599", BW),  # Ladenburg, Edingen-Neckarhausen, Heddesheim
    ("68600", "68699", HE),  # Lampertheim, Bürstadt, Biblis
    ("68700", "69238", BW),  # Schwetzingen, Hockenheim, Heidelberg, Wiesloch
    ("69239", "69239", HE),  # Neckarsteinach
    ("69240", "69433", BW),  # Neckargemünd region, Schönau, Eberbach, Mudau
    ("69434", "69434", SHARED),  # Hirschhorn (HE) and Heddesbach (BW)
    ("69435", "69482", BW),  # Neckargerach, Weinheim
    ("69483", "69483", HE),  # Wald-Michelbach
    ("69488", "69488", HE),  # Birkenau
    ("69493", "69502", BW),  # Hirschberg an der Bergstraße, Hemsbach
    ("69509", "69509", HE),  # Mörlenbach
    ("69514", "69514", BW),  # Laudenbach
    ("69517", "69518", HE),  # Gorxheimertal, Abtsteinach
    # 7: Baden-Württemberg, Rheinland-Pfalz
    ("70000", "76719", BW),  # Stuttgart ... Pforzheim, Karlsruhe, Baden-Baden, Bruchsal
    ("76720", "76999", RP),  # Germersheim, Wörth am Rhein, Landau, Bad Bergzabern
    ("77000", "79999", BW),  # Offenburg, Konstanz, Büsingen, Freiburg
    # 8: Bayern, Baden-Württemberg; Kleinwalsertal and Jungholz are Austria
    ("80000", "87490", BY),  # München ... Augsburg, Kempten
    ("87491", "87491", SHARED),  # Jungholz (Tirol, Austria)
    ("87492", "87566", BY),  # Oberallgäu
    ("87567", "87569", SHARED),  # Riezlern, Hirschegg, Mittelberg (Vorarlberg, Austria)
    ("87570", "87999", BY),  # Oberstdorf, Füssen, Kaufbeuren
    ("88000", "88130", BW),  # Friedrichshafen, Tettnang, Kressbronn
    ("88131", "88146", BY),  # Lindau, Sigmarszell, Wasserburg, Hergatz
    ("88147", "88147", BW),  # Achberg
    ("88148", "88179", BY),  # Nonnenhorn, Lindenberg, Weiler-Simmerberg, Scheidegg
    ("88180", "89199", BW),  # Ravensburg, Biberach, Sigmaringen, Ulm, Blaubeuren
    ("89200", "89499", BY),  # Neu-Ulm, Senden, Illertissen, Günzburg, Dillingen
    ("89500", "89999", BW),  # Heidenheim, Giengen, Ehingen
    # 9: Bayern, Thüringen, Baden-Württemberg
    ("90000", "96499", BY),  # Nürnberg ... Regensburg, Passau, Bayreuth, Bamberg, Coburg
    ("96500", "96529", TH),  # Sonneberg, Steinach, Schalkau
    ("96530", "97876", BY),  # Kronach region, Würzburg, Schweinfurt, Lohr, Marktheidenfeld
    ("97877", "97877", BW),  # Wertheim
    ("97878", "97895", BY),  # Kreuzwertheim
    ("97896", "97896", BW),  # Freudenberg
    ("97900", "97900", BW),  # Külsheim
    ("97901", "97909", BY),  # Altenbuch, Collenberg, Dorfprozelten, Faulbach, Stadtprozelten
    ("97910", "97999", BW),  # Lauda-Königshofen, Tauberbischofsheim, Bad Mergentheim
    ("98000", "99999", TH),  # Suhl, Meiningen, Ilmenau, Erfurt, Weimar, Gotha, Nordhausen
)
# ------------------------------------------------------------------------------------------

_STARTS = [int(first) for first, _, _ in RANGES]


def state_for_postcode(plz: str | None) -> str | None:
    """The Bundesland of a five-digit postcode; None when shared, unknown or malformed."""
    if not plz or len(plz) != 5 or not plz.isascii() or not plz.isdigit():
        return None
    code = int(plz)
    i = bisect_right(_STARTS, code) - 1
    if i < 0:
        return None
    _, last, state = RANGES[i]
    return state if code <= int(last) else None



# --- state names as publishers write them after the town ----------------------------------

NAMES = (BW, BY, BE, BB, HB, HH, HE, MV, NI, NW, RP, SL, SN, ST, SH, TH)
#: Acronyms in common use; the dotted short forms ("Schlesw.-H.", "Rheinl.Pf.") are matched by
#: shape in `_abbreviates`, a slip of one letter ("Baden-Würtemberg") by similarity.
ACRONYMS = {"nrw": NW, "bw": BW, "bawü": BW, "rlp": RP, "mv": MV, "m-v": MV, "lsa": ST,
            "sh": SH, "by": BY, "nds": NI}
#: How close a full name must be to count as a misspelling of a state name.
SIMILAR = 0.93


def state_names(text: str) -> set[str]:
    """The Bundesländer that `text` names ("NRW", "Schlesw.-H.", "Berlin/Brand.brg"), each
    piece of a slashed text counted; empty when a piece names no state."""
    found: set[str] = set()
    for piece in text.split("/"):
        named = _state_name(piece.strip())
        if not named:
            return set()
        found |= named
    return found


def _state_name(piece: str) -> set[str]:
    key = piece.casefold()
    if key in ACRONYMS:
        return {ACRONYMS[key]}
    exact = {name for name in NAMES if name.casefold() == key}
    if exact or len(key) < 4:
        return exact
    if "." in key:
        return {name for name in NAMES if _abbreviates(key, name.casefold())}
    return {name for name in NAMES
            if SequenceMatcher(None, key, name.casefold()).ratio() >= SIMILAR}


def _abbreviates(short: str, name: str) -> bool:
    """"schlesw.-h." abbreviates "schleswig-holstein": it begins like the name and its letters
    follow in the name's order."""
    letters = [c for c in short if c.isalpha()]
    if letters[:3] != list(name[:3]):
        return False
    rest = iter(name)
    return all(c in rest for c in letters)

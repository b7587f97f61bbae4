"""Word lists for the synthetic corpus: what German self-help directories print.

Cities carry real postcodes and area codes so that the address and phone normalisers do their
real work (postcode parsing, E.164 conversion) instead of short-cutting on garbage. Every group,
person, venue and mailbox is invented; organisation mail domains end in `.example.org`.
"""

from typing import NamedTuple


class City(NamedTuple):
    name: str
    area_code: str  # with the leading 0
    postcodes: tuple[str, ...]
    districts: tuple[str, ...]


class TopicSpec(NamedTuple):
    label: str  # what the A–Z list shows
    area: str  # the directory's "Themenbereich"
    names: tuple[str, ...]  # name patterns: {city}, {district}, {topic}
    carriers: tuple[str, ...]
    about: tuple[str, ...]  # description sentences


CITIES: tuple[City, ...] = (
    City("Herne", "02323", ("44623", "44625", "44627", "44628", "44629", "44649", "44651",
                            "44652", "44653"), ("Wanne", "Eickel", "Sodingen", "Holsterhausen",
                                                "Baukau", "Horsthausen")),
    City("Bochum", "0234", ("44787", "44789", "44791", "44793", "44795", "44797", "44799",
                            "44801", "44803", "44805", "44807", "44809", "44866", "44892"),
         ("Wattenscheid", "Langendreer", "Linden", "Gerthe", "Querenburg", "Weitmar")),
    City("Düsseldorf", "0211", ("40210", "40211", "40212", "40215", "40217", "40219", "40221",
                                "40223", "40225", "40227", "40229", "40233", "40235", "40237",
                                "40476", "40545", "40597"),
         ("Bilk", "Oberkassel", "Gerresheim", "Benrath", "Flingern", "Derendorf", "Eller")),
    City("Köln", "0221", ("50667", "50668", "50670", "50672", "50674", "50676", "50677",
                          "50733", "50735", "50823", "50825", "51065", "51103", "51143"),
         ("Ehrenfeld", "Nippes", "Kalk", "Porz", "Mülheim", "Sülz", "Chorweiler")),
    City("München", "089", ("80331", "80333", "80335", "80336", "80337", "80339", "80469",
                            "80538", "80634", "80636", "81369", "81541", "81675", "81737"),
         ("Schwabing", "Giesing", "Pasing", "Sendling", "Neuperlach", "Haidhausen")),
    City("Hamburg", "040", ("20095", "20099", "20144", "20146", "20249", "20253", "22081",
                            "22083", "22765", "22767", "21073", "22041"),
         ("Altona", "Eimsbüttel", "Barmbek", "Harburg", "Wandsbek", "Bergedorf")),
    City("Berlin", "030", ("10115", "10117", "10119", "10178", "10243", "10245", "10247",
                           "10405", "10437", "12043", "12045", "13347", "13353", "12559"),
         ("Kreuzberg", "Neukölln", "Wedding", "Pankow", "Köpenick", "Spandau", "Lichtenberg")),
    City("Leipzig", "0341", ("04103", "04105", "04107", "04109", "04177", "04229", "04275",
                             "04315", "04318", "04347"),
         ("Plagwitz", "Connewitz", "Gohlis", "Grünau", "Reudnitz", "Schönefeld")),
    City("Dresden", "0351", ("01067", "01069", "01097", "01099", "01127", "01139", "01187",
                             "01217", "01277", "01307", "01309"),
         ("Neustadt", "Pieschen", "Blasewitz", "Prohlis", "Loschwitz", "Cotta")),
    City("Nürnberg", "0911", ("90402", "90403", "90408", "90409", "90419", "90429", "90431",
                              "90439", "90441", "90443", "90459", "90461", "90478", "90489"),
         ("Gostenhof", "St. Johannis", "Langwasser", "Südstadt", "Mögeldorf", "Eibach")),
    City("Münster", "0251", ("48143", "48145", "48147", "48149", "48151", "48153", "48155",
                             "48157", "48159", "48161", "48163", "48165", "48167"),
         ("Hiltrup", "Kinderhaus", "Gievenbeck", "Wolbeck", "Roxel", "Coerde")),
    City("Gelsenkirchen", "0209", ("45879", "45881", "45883", "45884", "45886", "45888",
                                   "45889", "45891", "45892", "45894", "45896", "45897"),
         ("Buer", "Erle", "Horst", "Schalke", "Ückendorf", "Resse")),
    City("Freiburg im Breisgau", "0761", ("79098", "79100", "79102", "79104", "79106", "79108",
                                          "79110", "79111", "79112", "79114", "79115", "79117"),
         ("Wiehre", "Stühlinger", "Haslach", "Zähringen", "Littenweiler", "Weingarten")),
    City("Würzburg", "0931", ("97070", "97072", "97074", "97076", "97078", "97080", "97082",
                              "97084"),
         ("Sanderau", "Zellerau", "Heidingsfeld", "Lengfeld", "Grombühl", "Frauenland")),
    City("Göttingen", "0551", ("37073", "37075", "37077", "37079", "37081", "37083", "37085"),
         ("Weende", "Grone", "Geismar", "Nikolausberg", "Holtensen", "Elliehausen")),
    City("Lüdenscheid", "02351", ("58507", "58509", "58511", "58513", "58515"),
         ("Brügge", "Oberrahmede", "Wehberg", "Buckesfeld", "Honsel", "Worth")),
    City("Mainz", "06131", ("55116", "55118", "55120", "55122", "55124", "55126", "55127",
                            "55128", "55129", "55130", "55131"),
         ("Gonsenheim", "Mombach", "Bretzenheim", "Hechtsheim", "Finthen", "Weisenau")),
    City("Kassel", "0561", ("34117", "34119", "34121", "34123", "34125", "34127", "34128",
                            "34130", "34131", "34132", "34134"),
         ("Wehlheiden", "Bettenhausen", "Harleshausen", "Niederzwehren", "Wesertor")),
)

_SUCHT, _PSYCH = "Psychosoziale Themen/Sucht", "Psychosoziale Themen"
_HEALTH, _LIFE = "gesundheitsbezogene Themen", "Lebensbewältigung/Soziales"
_FAMILY, _CHRONIC = "Eltern und Familie", "Behinderung/chronische Erkrankung"

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("Sucht – Alkohol", _SUCHT,
              ("Kreuzbund-Gruppe {city}-{district}", "Anonyme Alkoholiker (AA) – Gruppe {district}",
               "Blaues Kreuz Begegnungsgruppe {district}", "Guttempler-Gemeinschaft {city}",
               "Freundeskreis für Suchtkrankenhilfe {district}"),
              ("Kreuzbund e.V.", "Blaues Kreuz in Deutschland e.V.",
               "Guttempler in Deutschland e.V.",
               "Freundeskreise für Suchtkrankenhilfe, Landesverband e.V."),
              ("Menschen mit Alkoholproblemen finden hier Verständnis und Unterstützung auf dem "
               "Weg in ein suchtfreies Leben.",
               "Es gibt keine Anmeldung und keine Beiträge; der Vorname genügt.")),
    TopicSpec("Sucht – Medikamente", _SUCHT,
              ("Selbsthilfegruppe Medikamentenabhängigkeit {city}",
               "Gesprächskreis Medikamente {district}"),
              ("Kreuzbund e.V.",),
              ("Für Menschen, die von Schlaf-, Beruhigungs- oder Schmerzmitteln loskommen "
               "wollen.",)),
    TopicSpec("Glücksspielsucht", _SUCHT,
              ("Anonyme Spieler (GA) {city}", "Selbsthilfegruppe Glücksspiel {district}"),
              ("Fachverband Glücksspielsucht e.V.",),
              ("Spielerinnen und Spieler sowie Angehörige sprechen über Automaten, Sportwetten "
               "und Online-Casinos – und über Schulden.",)),
    TopicSpec("Kinder aus suchtbelasteten Familien", _SUCHT,
              ("Erwachsene Kinder suchtkranker Eltern (EKS) {city}",
               "Al-Anon Familiengruppe {district}"),
              ("Al-Anon Familiengruppen Interessengemeinschaft e.V.",),
              ("Erwachsene, die in einer Familie mit Suchtproblemen aufgewachsen sind, tauschen "
               "Erfahrungen aus.",)),
    TopicSpec("Depression", _PSYCH,
              ("Gesprächskreis Depression {district}", "Selbsthilfegruppe Depression {city}",
               "Lichtblick – Depression und Burnout {district}",
               "Junge Menschen mit Depression {city}"),
              ("Deutsche DepressionsLiga e.V.",),
              ("Menschen mit Depressionen sprechen offen über Krankheit, Klinik und Rückkehr "
               "in den Alltag.", "Der Gesprächskreis ersetzt keine Therapie.")),
    TopicSpec("Angst und Panik", _PSYCH,
              ("Selbsthilfegruppe Angst und Panik {city}", "Mutig – Gruppe für Menschen mit "
               "Ängsten {district}"),
              ("Deutsche Angst-Hilfe e.V. (DASH)",),
              ("Angst vor Menschen, Plätzen oder der nächsten Attacke: Wir üben gemeinsam, uns "
               "den Ängsten zu stellen.",)),
    TopicSpec("Bipolare Störungen", _PSYCH,
              ("Selbsthilfegruppe Bipolar {city}", "Auf und Ab – bipolare Erkrankung {district}"),
              ("Deutsche Gesellschaft für Bipolare Störungen e.V.",),
              ("Betroffene mit manisch-depressiver Erkrankung tauschen sich über Frühwarnzeichen, "
               "Medikamente und den Alltag aus.",)),
    TopicSpec("Borderline", _PSYCH,
              ("Borderline-Selbsthilfegruppe {city}",), (),
              ("Für Menschen mit emotional-instabiler Persönlichkeitsstörung.",)),
    TopicSpec("Essstörungen", _PSYCH,
              ("Overeaters Anonymous {city}", "Selbsthilfegruppe Essstörungen {district}"), (),
              ("Magersucht, Bulimie, Binge-Eating: Austausch ohne Waage und ohne Bewertung.",)),
    TopicSpec("Angehörige psychisch erkrankter Menschen", _PSYCH,
              ("Angehörigengruppe Psychiatrie {city}", "Angehörige psychisch erkrankter Menschen "
               "{district}"),
              ("Landesverband der Angehörigen psychisch erkrankter Menschen e.V.",
               "BApK – Bundesverband der Angehörigen psychisch erkrankter Menschen e.V."),
              ("„Wir sind nicht allein“ – Eltern, Partner, Söhne und Töchter von Menschen mit "
               "psychischer Erkrankung stärken sich gegenseitig.",)),
    TopicSpec("Diabetes", _HEALTH,
              ("Diabetiker-Treff {district}", "Selbsthilfegruppe Diabetes Typ 2 {city}",
               "Eltern diabetischer Kinder {city}", "Diabetes Typ 1 – junge Erwachsene {city}"),
              ("Deutscher Diabetiker Bund, Landesverband e.V.", "Deutsche Diabetes-Hilfe e.V."),
              ("Austausch zu Ernährung, Insulinpumpe, Sensoren und Bewegung; regelmäßig mit "
               "Vorträgen von Fachleuten.",)),
    TopicSpec("Multiple Sklerose", _CHRONIC,
              ("DMSG-Kontaktgruppe {city}-{district}", "MS-Gesprächskreis {district}",
               "Junge MS-Betroffene {city}"),
              ("Deutsche Multiple Sklerose Gesellschaft (DMSG), Landesverband e.V.",),
              ("Menschen mit Multipler Sklerose und ihre Angehörigen treffen sich zum Austausch "
               "über Schübe, Therapien und Alltagshilfen.",)),
    TopicSpec("Parkinson", _CHRONIC,
              ("Parkinson-Selbsthilfegruppe {city}", "Regionalgruppe Parkinson {district}"),
              ("Deutsche Parkinson Vereinigung e.V.",),
              ("Neben Gesprächen gibt es Gymnastik, Logopädie-Übungen und Ausflüge.",)),
    TopicSpec("Rheuma", _CHRONIC,
              ("Rheuma-Liga Arbeitsgemeinschaft {city}",
               "Selbsthilfegruppe Fibromyalgie {district}", "Morbus Bechterew Gruppe {city}"),
              ("Deutsche Rheuma-Liga, Landesverband e.V.",
               "Deutsche Vereinigung Morbus Bechterew e.V."),
              ("Funktionstraining, Warmwassergymnastik und Erfahrungsaustausch für Menschen mit "
               "rheumatischen Erkrankungen.",)),
    TopicSpec("Krebs", _HEALTH,
              ("Frauenselbsthilfe Krebs – Gruppe {city}", "Prostatakrebs-Selbsthilfe {city}",
               "Leben mit Krebs – Gesprächskreis {district}",
               "Selbsthilfe Kehlkopfoperierte {city}"),
              ("Frauenselbsthilfe Krebs e.V.", "Bundesverband Prostatakrebs Selbsthilfe e.V.",
               "Deutsche ILCO e.V."),
              ("Nach der Diagnose ist vieles anders. Wir begleiten Betroffene vor, während und "
               "nach der Behandlung.",)),
    TopicSpec("Künstlicher Darm- oder Harnausgang (ILCO)", _HEALTH,
              ("ILCO-Gruppe {city}",), ("Deutsche ILCO e.V.",),
              ("Stomaträgerinnen und Stomaträger beraten sich gegenseitig zur Versorgung und zum "
               "Leben mit dem Stoma.",)),
    TopicSpec("Schlaganfall", _HEALTH,
              ("Schlaganfall-Selbsthilfegruppe {city}", "Aphasiker-Gruppe {district}"),
              ("Stiftung Deutsche Schlaganfall-Hilfe",),
              ("Betroffene und Angehörige üben gemeinsam Sprache und Bewegung und teilen, was im "
               "Alltag hilft.",)),
    TopicSpec("Herzerkrankungen", _HEALTH,
              ("Herzsportgruppe {district}", "Defi-Selbsthilfegruppe {city}"), (),
              ("Für Menschen mit Herzschwäche, Herzinfarkt oder implantiertem Defibrillator.",)),
    TopicSpec("Tinnitus und Hörschädigung", _HEALTH,
              ("Tinnitus-Selbsthilfegruppe {city}", "Schwerhörigen-Treff {district}"),
              ("Deutsche Tinnitus-Liga e.V.", "Deutscher Schwerhörigenbund e.V."),
              ("Der Raum ist mit einer Induktionsschleife ausgestattet.",)),
    TopicSpec("Schlafapnoe", _HEALTH,
              ("Schlafapnoe-Selbsthilfegruppe {city}",), (),
              ("Austausch über Schlafapnoe, Schlaflabor und die Eingewöhnung an die Atemmaske.",)),
    TopicSpec("Morbus Crohn / Colitis ulcerosa", _CHRONIC,
              ("DCCV-Gesprächskreis {city}", "CED-Selbsthilfegruppe {district}"),
              ("Deutsche Morbus Crohn / Colitis ulcerosa Vereinigung – DCCV – e.V.",),
              ("Für Menschen mit chronisch-entzündlichen Darmerkrankungen.",)),
    TopicSpec("Chronische Schmerzen", _CHRONIC,
              ("Schmerz-Selbsthilfegruppe {city}", "Gesprächskreis chronischer Schmerz {district}"),
              ("Deutsche Schmerzliga e.V.",),
              ("Wir lernen voneinander, mit dauerhaften Schmerzen zu leben, und tauschen Tipps zu "
               "Entspannung und Bewegung aus.",)),
    TopicSpec("Long COVID", _HEALTH,
              ("Long-COVID-Selbsthilfegruppe {city}", "Post-COVID-Gesprächskreis {district}"), (),
              ("Erschöpfung, Atemnot, Konzentrationsprobleme: Betroffene tauschen Erfahrungen mit "
               "Reha und Arbeitgebern aus.",)),
    TopicSpec("Epilepsie", _CHRONIC,
              ("Epilepsie-Selbsthilfegruppe {city}",), ("Deutsche Epilepsievereinigung e.V.",),
              ("Für Menschen mit Epilepsie und Eltern betroffener Kinder.",)),
    TopicSpec("Demenz", _LIFE,
              ("Angehörigengruppe Demenz {district}", "Gesprächskreis für pflegende Angehörige "
               "von Menschen mit Demenz {city}"),
              ("Deutsche Alzheimer Gesellschaft, Landesverband e.V.",),
              ("Während der Gruppe ist eine Betreuung der erkrankten Angehörigen möglich.",)),
    TopicSpec("Pflegende Angehörige", _LIFE,
              ("Pflegende Angehörige {district}", "Treffpunkt Pflege {city}"), (),
              ("Wer einen Angehörigen zu Hause pflegt, findet hier Austausch, Entlastung und Tipps "
               "zu Pflegegrad und Verhinderungspflege.",)),
    TopicSpec("Trauer", _LIFE,
              ("Leben nach dem Verlust – Trauergruppe {district}", "Verwaiste Eltern {city}",
               "Trauercafé {district}"),
              ("Verwaiste Eltern und trauernde Geschwister in Deutschland e.V.",),
              ("Für Menschen, die einen nahestehenden Menschen verloren haben. Zuhören, erzählen, "
               "sich gegenseitig stützen.",)),
    TopicSpec("Alleinerziehende", _LIFE,
              ("Treffpunkt Alleinerziehende {district}", "Alleinerziehenden-Frühstück {city}"),
              ("Verband alleinerziehender Mütter und Väter e.V.",),
              ("Allein erziehen heißt nicht allein sein: Mütter und Väter tauschen sich über "
               "Alltag, Ämter und Kinderbetreuung aus.",
               "Kinder können nach Absprache mitgebracht werden.")),
    TopicSpec("Transidentität", _LIFE,
              ("Trans* Gesprächskreis {city}",), (),
              ("Für trans*, inter* und nicht-binäre Menschen und alle, die sich mit ihrer "
               "Geschlechtsidentität auseinandersetzen.",)),
    TopicSpec("ADHS", _FAMILY,
              ("ADHS-Elterngruppe {city}", "ADHS bei Erwachsenen – Gruppe {district}"),
              ("ADHS Deutschland e.V.",),
              ("Eltern von Kindern mit ADHS und Erwachsene mit ADHS tauschen Strategien für "
               "Schule, Beruf und Familie aus.",)),
    TopicSpec("Autismus", _FAMILY,
              ("Elternkreis Autismus {city}", "Autismus-Stammtisch {district}"),
              ("autismus Deutschland e.V.",),
              ("Eltern autistischer Kinder und autistische Erwachsene treffen sich in ruhiger "
               "Runde.",)),
    TopicSpec("Down-Syndrom", _FAMILY,
              ("Elterngruppe Down-Syndrom {city}",), ("Deutsches Down-Syndrom InfoCenter",),
              ("Familien mit Kindern mit Trisomie 21; Geschwister sind willkommen.",)),
    TopicSpec("Williams-Beuren-Syndrom", _FAMILY,
              ("Williams-Beuren-Syndrom – Elterngruppe {city}",),
              ("Bundesverband Williams-Beuren-Syndrom e.V.",),
              ("Eltern von Kindern mit Williams-Beuren-Syndrom treffen sich zum "
               "Erfahrungsaustausch.",)),
    TopicSpec("Stottern", _CHRONIC,
              ("Stotterer-Selbsthilfegruppe {city}",),
              ("Bundesvereinigung Stottern & Selbsthilfe e.V.",),
              ("Hier darf jeder so sprechen, wie er spricht.",)),
    TopicSpec("Zöliakie", _HEALTH,
              ("Zöliakie-Gesprächskreis {city}",), ("Deutsche Zöliakie-Gesellschaft e.V.",),
              ("Glutenfrei leben: Einkaufstipps, Rezepte und gemeinsames Backen.",)),
    TopicSpec("Osteoporose", _HEALTH,
              ("Osteoporose-Selbsthilfegruppe {district}",),
              ("Bundesselbsthilfeverband für Osteoporose e.V.",),
              ("Wöchentliche Funktionsgymnastik und Vorträge zu Ernährung und Sturzprophylaxe.",)),
    TopicSpec("Endometriose", _HEALTH,
              ("Endometriose-Selbsthilfegruppe {city}",),
              ("Endometriose-Vereinigung Deutschland e.V.",),
              ("Frauen mit Endometriose sprechen über Diagnose, Schmerzen und Kinderwunsch.",)),
    TopicSpec("Adipositas", _HEALTH,
              ("Adipositas-Selbsthilfegruppe {city}", "Gewichtig – Gruppe {district}"), (),
              ("Vor und nach einer Adipositas-Operation; Austausch ohne Vorurteile.",)),
)

GENERIC_NAMES = ("Selbsthilfegruppe {topic} {city}", "Gesprächskreis {topic} {district}",
                 "{topic} – Selbsthilfegruppe {district}")

GENERIC_ABOUT = (
    "Neue Mitglieder sind herzlich willkommen.",
    "Die Teilnahme ist kostenlos und vertraulich.",
    "Vor dem ersten Besuch bitten wir um einen kurzen Anruf.",
    "Die Räume sind barrierefrei erreichbar.",
    "Ein Kostenbeitrag von 2 € im Monat wird erbeten.",
    "Was in der Gruppe gesagt wird, bleibt in der Gruppe.",
    "Einmal im Jahr laden wir zu einem Informationsabend mit Fachleuten ein.",
    "Auch Angehörige können teilnehmen.",
)

STREETS = (
    "Bahnhofstraße", "Hauptstraße", "Kirchplatz", "Am Markt", "Schulstraße", "Goethestraße",
    "Friedrich-Ebert-Straße", "Gartenstraße", "Lindenallee", "Mühlenweg", "Bergstraße",
    "Kaiserstraße", "Ringstraße", "Wilhelmstraße", "Schillerstraße", "Marktplatz",
    "Rathausplatz", "Luisenstraße", "Von-der-Heydt-Str.", "Poststr.", "Kurze Straße",
    "An der Kreuzkirche", "Mozartweg", "Gerichtsstraße", "Königsallee", "Am Stadtgarten",
    "Dorstener Straße", "Bochumer Str.", "Westring", "Sankt-Anna-Straße", "Große Mühlenstraße",
    "Hölderlinweg", "Talstraße", "Im Winkel", "Löwenstraße", "Ärztehaus-Passage",
)

VENUES = (
    "Familienzentrum Sonnenblume", "Pfarrheim St. Marien", "Gemeindehaus der Ev. "
    "Kirchengemeinde", "AWO-Begegnungsstätte", "Bürgerhaus", "Caritas-Zentrum", "Diakonie-Treff",
    "Seniorenbegegnungsstätte", "Stadtteilzentrum, Café", "Mehrgenerationenhaus",
    "Paritätisches Zentrum, Gruppenraum 2", "Klinikum, Konferenzraum 3 (Ebene 1)",
    "Seminarraum im Ärztehaus", "Volkshochschule, Raum 2.14", "Gesundheitshaus, 2. OG",
    "Kulturzentrum „Alte Schule“", "Jugend- und Familienhaus",
)

FIRST_NAMES = ("Gabriele", "Renate", "Monika", "Jürgen", "Klaus", "Sabine", "Petra", "Ümit",
               "Ayşe", "Dirk", "Thomas", "Birgit", "Ingrid", "Hans-Peter", "Jörg", "Sören",
               "Käthe", "Björn", "Maike", "Özlem", "Andrzej", "Heike", "Ulrich", "Lena")
SURNAMES = ("Müller", "Schäfer", "Özdemir", "Weiß", "Becker", "Hoffmann", "Krüger", "Schröder",
            "Kowalski", "Brandt", "Lüdtke", "Yılmaz", "Große", "Jäger", "Vogt", "Nowak",
            "Fuchs", "Böhm", "Wagner", "Kühn", "Heß", "Zimmermann")

WEEKDAYS = (("Montag", "montags"), ("Dienstag", "dienstags"), ("Mittwoch", "mittwochs"),
            ("Donnerstag", "donnerstags"), ("Freitag", "freitags"), ("Samstag", "samstags"))

FREEMAIL = ("gmx.de", "gmx.net", "web.de", "t-online.de", "gmail.com", "freenet.de")

CENTRE_NAMES = ("Selbsthilfe-Kontaktstelle {city}",
                "KISS {city} – Kontakt- und Informationsstelle für Selbsthilfe",
                "Selbsthilfebüro {city}", "Selbsthilfe-Netzwerk {city}",
                "Selbsthilfe-Kontakt- und Informationsstelle (SEKIS) {city}")
CENTRE_CARRIERS = ("Stadt {city}, Fachbereich Gesundheit", "Der Paritätische, Kreisgruppe {city}",
                   "AWO Unterbezirk {city}", "Caritasverband für die Stadt {city} e.V.",
                   "Gesundheitsamt {city}")
